"""User accounts: people log in with a login name and a password, not a pasted token.

`users`: the login (a phone number or a chosen name, stored normalised: NFKC, case-folded, so 全角 digits typed
through an IME find the same account), display name, argon2 hash, access role and region (required for the scoped
roles), an optional link to the `people` row the account belongs to (one account per person), active flag,
must_change_password (set by a reset), and when it was created, last logged in and last changed its password.

`web_sessions.user_id`: a session belongs to a token (the map pages' token login, kept for machines and scripts)
or to an account, never both. There is no CSRF column: the session's CSRF token is derived from the random session
id (HMAC-SHA256 keyed with the id, layers/access/sessions.py), which only the browser holds: the database keeps
nothing that would let its reader forge either, and the token can be handed out again on any request.

`audit_log` and `problem_events` gain `actor_user_id` and `actor_person_id`: the account that acted and the person
it was linked to at that moment (a snapshot; no key into `people`, whose rows the demo deletes). Every writer names
its actor as text, in Python and in the server-side intake function alike, so a row trigger fills both columns
from an actor of the form `user:<id> …` (the form layers/access/users.py gives an account's Caller) when the writer
left them empty. Old rows are left as they are (token and system actors keep NULL). Archived months of the events
(schema `archive`, copied with SELECT *) get the same columns.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ACTOR_COLUMNS = "ADD COLUMN actor_user_id integer, ADD COLUMN actor_person_id integer"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE users (
            id                   serial PRIMARY KEY,
            login                text NOT NULL UNIQUE CHECK (length(login) BETWEEN 2 AND 64 AND login !~ '\\s'),
            display_name         text NOT NULL CHECK (length(trim(display_name)) > 0),
            password_hash        text NOT NULL,
            role                 text NOT NULL,
            region_code          varchar(12),
            person_id            integer UNIQUE REFERENCES people (id) ON DELETE SET NULL,
            active               boolean NOT NULL DEFAULT true,
            must_change_password boolean NOT NULL DEFAULT false,
            created_at           timestamptz NOT NULL DEFAULT now(),
            created_by           text NOT NULL,
            last_login_at        timestamptz,
            password_changed_at  timestamptz NOT NULL DEFAULT now(),
            disabled_at          timestamptz,
            CONSTRAINT users_scoped_role_has_region CHECK (
                role NOT IN ('district_staff', 'subdistrict_staff', 'street_chief', 'grid_worker')
                OR region_code IS NOT NULL)
        );
        CREATE INDEX users_region ON users (region_code text_pattern_ops);

        -- Sessions of token logins (from 0016) always have their token: the new check holds for every old row.
        DELETE FROM web_sessions WHERE token_id IS NULL;
        ALTER TABLE web_sessions ADD COLUMN user_id integer REFERENCES users (id) ON DELETE CASCADE,
            ADD CONSTRAINT web_sessions_one_owner CHECK (num_nonnulls(token_id, user_id) = 1);
        CREATE INDEX web_sessions_user ON web_sessions (user_id) WHERE user_id IS NOT NULL;
    """)
    op.execute(f"""
        ALTER TABLE audit_log {ACTOR_COLUMNS};
        ALTER TABLE problem_events {ACTOR_COLUMNS};
        ALTER TABLE audit_log ADD FOREIGN KEY (actor_user_id) REFERENCES users (id);
        ALTER TABLE problem_events ADD FOREIGN KEY (actor_user_id) REFERENCES users (id);
        CREATE INDEX audit_log_actor_user ON audit_log (actor_user_id, id) WHERE actor_user_id IS NOT NULL;
        CREATE INDEX problem_events_actor_user ON problem_events (actor_user_id, id) WHERE actor_user_id IS NOT NULL;

        CREATE FUNCTION ccgrid_actor_account() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            SELECT u.id, u.person_id INTO NEW.actor_user_id, NEW.actor_person_id
            FROM users u WHERE u.id = substring(NEW.actor FROM '^user:([0-9]{{1,9}})')::integer;
            RETURN NEW;
        END $$;
        CREATE TRIGGER audit_log_actor_account BEFORE INSERT ON audit_log
            FOR EACH ROW WHEN (NEW.actor LIKE 'user:%' AND NEW.actor_user_id IS NULL)
            EXECUTE FUNCTION ccgrid_actor_account();
        CREATE TRIGGER problem_events_actor_account BEFORE INSERT ON problem_events
            FOR EACH ROW WHEN (NEW.actor LIKE 'user:%' AND NEW.actor_user_id IS NULL)
            EXECUTE FUNCTION ccgrid_actor_account();

        DO $$
        BEGIN
            IF to_regclass('archive.problem_events') IS NOT NULL THEN
                EXECUTE 'ALTER TABLE archive.problem_events
                         {ACTOR_COLUMNS.replace("ADD COLUMN", "ADD COLUMN IF NOT EXISTS")}';
            END IF;
        END $$;
    """)


def downgrade() -> None:
    drop = "DROP COLUMN IF EXISTS actor_user_id, DROP COLUMN IF EXISTS actor_person_id"
    op.execute(f"""
        DROP TRIGGER IF EXISTS audit_log_actor_account ON audit_log;
        DROP TRIGGER IF EXISTS problem_events_actor_account ON problem_events;
        DROP FUNCTION IF EXISTS ccgrid_actor_account();
        ALTER TABLE audit_log {drop};
        ALTER TABLE problem_events {drop};
        DO $$
        BEGIN
            IF to_regclass('archive.problem_events') IS NOT NULL THEN
                EXECUTE 'ALTER TABLE archive.problem_events {drop}';
            END IF;
        END $$;
        DELETE FROM web_sessions WHERE user_id IS NOT NULL;
        ALTER TABLE web_sessions DROP CONSTRAINT IF EXISTS web_sessions_one_owner, DROP COLUMN IF EXISTS user_id;
        DROP TABLE IF EXISTS users;
    """)
