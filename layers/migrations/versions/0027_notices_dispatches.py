"""Published 通报 (frozen snapshots), 红旗/黄旗 rules, numbered 交办单 reconciled to 销号.

- `document_series`: each kind of numbered document (通报, 交办单) with its prefix and issuer
  (`创城通〔2026〕第12号`); `document_numbers` the last number given per kind and year. The counter row is taken
  with a row lock in the publishing transaction, so numbers never repeat and never skip (a rolled-back publish
  gives its number back).
- `flag_rules`: 红旗/黄旗 by rule, as data. A rule is a set of conditions that must all hold (a threshold on a
  rate in percent, at most N 问责, on the 红榜/黑榜); a row earns a flag when any active rule of that flag holds.
- `notices`: one per published 通报, its content a JSON snapshot taken when it was published, never changed after
  (a trigger refuses it): withdrawing sets its state and names the reissue that replaces it.
  `notice_photos`: the exposures' photos copied into the notice (small JPEGs), so the document never depends on
  files or rows that may change or be archived later.
- `dispatch_sheets` / `dispatch_items` / `dispatch_replies`: a 交办单 to a person or a unit listing problems with
  deadlines, and the recipient's replies per item (append-only; the newest counts). Whether an item is 销号 is read
  from its problem's state when the sheet is shown, never stored.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

SERIES = [("notice", "创城通", "创城办", "通报"), ("dispatch", "创城交", "创城办", "交办单")]
# (flag, name, level, min_on_time_rate, max_overdue_rate, min_overdue_rate, max_accountability, board, sort)
FLAG_RULES = [
    ("red", "按期结案率≥95%且无问责", None, 95, None, None, 0, None, 10),
    ("yellow", "上黑榜", None, None, None, None, None, "black", 20),
    ("yellow", "超期率≥20%", None, None, None, 20, None, None, 30),
]


def _lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, int | float):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE document_series (
            kind   text PRIMARY KEY CHECK (kind IN ('notice', 'dispatch')),
            prefix text NOT NULL CHECK (length(trim(prefix)) BETWEEN 1 AND 20),
            issuer text NOT NULL CHECK (length(trim(issuer)) BETWEEN 1 AND 100),
            name   text NOT NULL
        );
        CREATE TABLE document_numbers (
            kind text NOT NULL REFERENCES document_series(kind),
            year integer NOT NULL CHECK (year BETWEEN 1900 AND 2200),
            last integer NOT NULL CHECK (last > 0),
            PRIMARY KEY (kind, year)
        );

        CREATE TABLE flag_rules (
            id                 serial PRIMARY KEY,
            flag               text NOT NULL CHECK (flag IN ('red', 'yellow')),
            name               text NOT NULL,
            level              text CHECK (level IN ('subdistrict', 'community', 'owner', 'department')),
            min_on_time_rate   numeric CHECK (min_on_time_rate BETWEEN 0 AND 100),
            min_closure_rate   numeric CHECK (min_closure_rate BETWEEN 0 AND 100),
            max_overdue_rate   numeric CHECK (max_overdue_rate BETWEEN 0 AND 100),
            min_overdue_rate   numeric CHECK (min_overdue_rate BETWEEN 0 AND 100),
            max_rework_rate    numeric CHECK (max_rework_rate BETWEEN 0 AND 100),
            max_accountability integer CHECK (max_accountability >= 0),
            board              text CHECK (board IN ('red', 'black')),
            active             boolean NOT NULL DEFAULT true,
            sort               integer NOT NULL DEFAULT 0,
            note               text,
            CONSTRAINT flag_rules_some_condition CHECK (num_nonnulls(min_on_time_rate, min_closure_rate,
                max_overdue_rate, min_overdue_rate, max_rework_rate, max_accountability, board) > 0)
        );

        CREATE TABLE notices (
            id              bigserial PRIMARY KEY,
            number          text NOT NULL UNIQUE,
            year            integer NOT NULL,
            seq             integer NOT NULL,
            title           text NOT NULL,
            period          text NOT NULL,
            period_kind     text NOT NULL,
            period_start    date NOT NULL,
            period_end      date NOT NULL,
            scope           varchar(12),
            state           text NOT NULL DEFAULT 'published' CHECK (state IN ('published', 'withdrawn')),
            snapshot        jsonb NOT NULL,
            digest          text NOT NULL,
            published_by    text NOT NULL,
            published_at    timestamptz NOT NULL,
            withdrawn_by    text,
            withdrawn_at    timestamptz,
            withdraw_reason text,
            replaces        bigint REFERENCES notices(id),
            replaced_by     bigint REFERENCES notices(id),
            UNIQUE (year, seq)
        );
        CREATE INDEX notices_period ON notices (period, scope);
        -- One 通报 in force per period and scope: a second is a reissue, after the first is withdrawn.
        CREATE UNIQUE INDEX notices_in_force ON notices (period, coalesce(scope, '')) WHERE state = 'published';
        CREATE INDEX notices_published ON notices (published_at DESC, id DESC);

        -- A published notice is a document: what it says never changes. Only its withdrawal may be recorded.
        CREATE FUNCTION ccgrid_notice_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.snapshot IS DISTINCT FROM OLD.snapshot OR NEW.digest IS DISTINCT FROM OLD.digest
               OR NEW.number IS DISTINCT FROM OLD.number OR NEW.title IS DISTINCT FROM OLD.title
               OR NEW.period IS DISTINCT FROM OLD.period OR NEW.scope IS DISTINCT FROM OLD.scope
               OR NEW.published_at IS DISTINCT FROM OLD.published_at
               OR NEW.published_by IS DISTINCT FROM OLD.published_by
               OR (OLD.state = 'withdrawn' AND NEW.state <> 'withdrawn') THEN
                RAISE EXCEPTION 'notice % is published: its content cannot change (withdraw and reissue it)',
                    OLD.number USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER notices_frozen BEFORE UPDATE ON notices
            FOR EACH ROW EXECUTE FUNCTION ccgrid_notice_frozen();

        CREATE TABLE notice_photos (
            notice_id  bigint NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
            seq        integer NOT NULL,
            problem_id bigint NOT NULL,
            photo_id   bigint NOT NULL,
            jpeg       bytea NOT NULL,
            width      integer NOT NULL,
            height     integer NOT NULL,
            PRIMARY KEY (notice_id, seq)
        );
        CREATE FUNCTION ccgrid_notice_photo_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'a published notice''s photos cannot change'
                USING ERRCODE = 'integrity_constraint_violation';
        END $$;
        CREATE TRIGGER notice_photos_frozen BEFORE UPDATE ON notice_photos
            FOR EACH ROW EXECUTE FUNCTION ccgrid_notice_photo_frozen();

        CREATE TABLE dispatch_sheets (
            id            bigserial PRIMARY KEY,
            number        text NOT NULL UNIQUE,
            year          integer NOT NULL,
            seq           integer NOT NULL,
            title         text NOT NULL,
            person_id     integer REFERENCES people(id),
            unit_id       integer REFERENCES units(id),
            region_code   varchar(12),
            deadline      timestamptz,
            note          text,
            source        text NOT NULL CHECK (source IN ('selection', 'supervision', 'filter')),
            source_query  jsonb NOT NULL DEFAULT '{}',
            created_by    text NOT NULL,
            created_at    timestamptz NOT NULL DEFAULT now(),
            cancelled_by  text,
            cancelled_at  timestamptz,
            cancel_reason text,
            UNIQUE (year, seq),
            CONSTRAINT dispatch_sheets_recipient CHECK ((person_id IS NULL) <> (unit_id IS NULL))
        );
        CREATE INDEX dispatch_sheets_person ON dispatch_sheets (person_id) WHERE person_id IS NOT NULL;
        CREATE INDEX dispatch_sheets_unit ON dispatch_sheets (unit_id) WHERE unit_id IS NOT NULL;
        CREATE INDEX dispatch_sheets_region ON dispatch_sheets (region_code text_pattern_ops);

        CREATE TABLE dispatch_items (
            id                  bigserial PRIMARY KEY,
            sheet_id            bigint NOT NULL REFERENCES dispatch_sheets(id) ON DELETE CASCADE,
            seq                 integer NOT NULL,
            problem_id          bigint NOT NULL,
            problem_reported_at timestamptz,
            district_code       char(6),
            deadline            timestamptz,
            UNIQUE (sheet_id, seq),
            UNIQUE (sheet_id, problem_id)
        );
        CREATE INDEX dispatch_items_problem ON dispatch_items (problem_id);
        CREATE TRIGGER dispatch_items_problem_keys BEFORE INSERT ON dispatch_items
            FOR EACH ROW WHEN (NEW.problem_reported_at IS NULL) EXECUTE FUNCTION ccgrid_problem_child_keys();

        CREATE TABLE dispatch_replies (
            id         bigserial PRIMARY KEY,
            item_id    bigint NOT NULL REFERENCES dispatch_items(id) ON DELETE CASCADE,
            reply      text NOT NULL CHECK (length(trim(reply)) BETWEEN 1 AND 2000),
            via        text NOT NULL CHECK (via IN ('page', 'excel')),
            replied_by text NOT NULL,
            replied_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX dispatch_replies_item ON dispatch_replies (item_id, id DESC);

        -- Problems have no foreign keys into them (partitioned, see 0007): a deleted problem's items go with it,
        -- in a statement trigger of their own beside ccgrid_problems_gone.
        CREATE FUNCTION ccgrid_dispatch_items_gone() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM dispatch_items i USING gone g WHERE i.problem_id = g.id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER problems_gone_dispatch AFTER DELETE ON problems REFERENCING OLD TABLE AS gone
            FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_dispatch_items_gone();
        """
    )
    op.execute("INSERT INTO document_series (kind, prefix, issuer, name) VALUES "
               + ", ".join("(" + ", ".join(_lit(v) for v in row) + ")" for row in SERIES))
    op.execute("INSERT INTO flag_rules (flag, name, level, min_on_time_rate, max_overdue_rate, min_overdue_rate, "
               "max_accountability, board, sort) VALUES "
               + ", ".join("(" + ", ".join(_lit(v) for v in row) + ")" for row in FLAG_RULES))


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER IF EXISTS problems_gone_dispatch ON problems;
        DROP FUNCTION IF EXISTS ccgrid_dispatch_items_gone();
        DROP TABLE IF EXISTS dispatch_replies, dispatch_items, dispatch_sheets;
        DROP TABLE IF EXISTS notice_photos, notices;
        DROP FUNCTION IF EXISTS ccgrid_notice_photo_frozen();
        DROP FUNCTION IF EXISTS ccgrid_notice_frozen();
        DROP TABLE IF EXISTS flag_rules, document_numbers, document_series;
        """
    )
