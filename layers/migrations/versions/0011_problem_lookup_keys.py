"""The reports' links to their category, source and status, checked per statement instead of per row.

Each report names a category, a source and a status, three small lookup tables. As foreign keys these cost three
trigger calls per row: ~11 µs a report, 11 s of a million-report import (bench/RESULTS.md). The same guarantee is
kept set-based:
- after an INSERT or UPDATE on `problems`, one anti-join of the statement's rows against each lookup table refuses
  a code that does not exist;
- a lookup row that reports still name cannot be deleted, nor its code changed.
Both raise `foreign_key_violation`, the error the keys raised, so callers see the same 409.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# lookup table → the reports' column that names it. Deleting a source reads the reports (the column has no index
# of its own, which every write would pay for); categories and statuses are found through their indexes.
LOOKUPS = {"problem_categories": "category_code", "problem_sources": "source", "problem_statuses": "status"}


def _rows_check(rows: str) -> str:
    return " ".join(f"""
        IF EXISTS (SELECT 1 FROM {rows} r WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.code = r.{column})) THEN
            RAISE EXCEPTION 'a report names a {column} that {table} does not have'
                USING ERRCODE = 'foreign_key_violation';
        END IF;""" for table, column in LOOKUPS.items())


def upgrade() -> None:
    op.execute("""
        ALTER TABLE problems DROP CONSTRAINT problems_category_code_fkey1, DROP CONSTRAINT problems_source_fkey1,
                             DROP CONSTRAINT problems_status_fkey1""")
    op.execute(f"""
        CREATE FUNCTION ccgrid_problem_lookups() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {_rows_check("new_rows")}
            RETURN NULL;
        END $$;
        CREATE TRIGGER problems_lookups_insert AFTER INSERT ON problems REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_problem_lookups();
        CREATE TRIGGER problems_lookups_update AFTER UPDATE ON problems REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_problem_lookups();
        """)
    for table, column in LOOKUPS.items():
        # Codes gone from the table (deleted, or changed by an update) that a report still names.
        op.execute(f"""
            CREATE FUNCTION ccgrid_{table}_gone() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM old_rows o
                           WHERE (TG_OP = 'DELETE' OR NOT EXISTS (SELECT 1 FROM {table} t WHERE t.code = o.code))
                             AND EXISTS (SELECT 1 FROM problems p WHERE p.{column} = o.code)) THEN
                    RAISE EXCEPTION '{table}: a code that reports name cannot be removed or changed'
                        USING ERRCODE = 'foreign_key_violation';
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER {table}_gone_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_{table}_gone();
            CREATE TRIGGER {table}_gone_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_{table}_gone();
            """)


def downgrade() -> None:
    for table in LOOKUPS:
        op.execute(f"""
            DROP TRIGGER {table}_gone_delete ON {table};
            DROP TRIGGER {table}_gone_update ON {table};
            DROP FUNCTION ccgrid_{table}_gone""")
    op.execute("""
        DROP TRIGGER problems_lookups_insert ON problems;
        DROP TRIGGER problems_lookups_update ON problems;
        DROP FUNCTION ccgrid_problem_lookups;
        ALTER TABLE problems
            ADD CONSTRAINT problems_category_code_fkey1 FOREIGN KEY (category_code) REFERENCES problem_categories(code),
            ADD CONSTRAINT problems_source_fkey1 FOREIGN KEY (source) REFERENCES problem_sources(code),
            ADD CONSTRAINT problems_status_fkey1 FOREIGN KEY (status) REFERENCES problem_statuses(code)""")
