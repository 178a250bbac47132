"""Reports partitioned by month, and the district code on every large table.

- `problems` becomes a table partitioned by `reported_at` (one partition per calendar month, Beijing time), created
  on demand by `ccgrid_problem_partition(ts)`. A partitioned table's keys must contain the partition key, so the
  primary key is (id, reported_at) and the tables that refer to a problem carry `problem_reported_at` beside
  `problem_id` (filled by a trigger when a caller leaves it out). An old month can be detached and archived.
- Those tables keep no foreign key into the reports (a key check against a partitioned table costs ~30 µs a row);
  deleting reports cascades to them through one statement-level trigger instead.
- A report's external id stays unique across partitions through `problem_external_ids` (a re-imported file never
  duplicates a report), which a unique index on the partitioned table cannot give.
- Every large table carries `district_code` (the distribution column for a Citus-style scale-out,
  docs/scaling.md); where a region code exists it is derived from it.
- The derived coordinates are computed only when the writer has not supplied them: a bulk import computes them
  set-based in its INSERT, which is ~70 µs a row cheaper than the row trigger.
- The duplicate probe reads x/y through the category+time index, so the metric GiST on problems goes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CHILDREN = ("problem_events", "problem_owners", "problem_photos", "escalations", "inspection_results")


def upgrade() -> None:
    for child in CHILDREN:
        op.execute(f"ALTER TABLE {child} DROP CONSTRAINT {child}_problem_id_fkey")
    op.execute(
        """
        ALTER TABLE problems DROP CONSTRAINT problems_duplicate_of_fkey;
        ALTER SEQUENCE problems_id_seq OWNED BY NONE;
        ALTER TABLE problems RENAME TO problems_flat;
        ALTER TABLE problems_flat DROP CONSTRAINT problems_pkey;
        ALTER TABLE problems_flat DROP CONSTRAINT problems_external_id_key;
        DROP INDEX problems_geom, problems_geom_m, problems_region, problems_status_due, problems_category_time,
                   problems_street, problems_cell, problems_duplicate_of, problems_merc;
        DROP TRIGGER problems_derive ON problems_flat;

        CREATE TABLE problems (LIKE problems_flat INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
            PARTITION BY RANGE (reported_at);
        ALTER SEQUENCE problems_id_seq OWNED BY problems.id;
        ALTER TABLE problems ALTER COLUMN district_code SET NOT NULL,
            ADD PRIMARY KEY (id, reported_at),
            ADD FOREIGN KEY (category_code) REFERENCES problem_categories(code),
            ADD FOREIGN KEY (source) REFERENCES problem_sources(code),
            ADD FOREIGN KEY (status) REFERENCES problem_statuses(code);

        -- One partition per month, Beijing time; created on first use. The advisory lock serialises two writers
        -- that meet a new month at the same moment.
        CREATE FUNCTION ccgrid_problem_partition(at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
        DECLARE
            m date := date_trunc('month', at AT TIME ZONE 'Asia/Shanghai')::date;
            part text := 'problems_' || to_char(m, 'YYYYMM');
        BEGIN
            IF to_regclass(part) IS NULL THEN
                PERFORM pg_advisory_xact_lock(hashtext('ccgrid_problem_partition'));
                IF to_regclass(part) IS NULL THEN
                    EXECUTE format('CREATE TABLE %I PARTITION OF problems FOR VALUES FROM (%L) TO (%L)', part,
                                   m::timestamp AT TIME ZONE 'Asia/Shanghai',
                                   (m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai');
                END IF;
            END IF;
            RETURN part;
        END $$;

        SELECT ccgrid_problem_partition(m) FROM generate_series(
            date_trunc('month', least(now(), (SELECT min(reported_at) FROM problems_flat))),
            date_trunc('month', greatest(now(), (SELECT max(reported_at) FROM problems_flat))) + interval '2 months',
            interval '1 month') AS m;
        INSERT INTO problems SELECT * FROM problems_flat ORDER BY reported_at;

        CREATE TABLE problem_external_ids (
            external_id text PRIMARY KEY,
            problem_id  bigint NOT NULL,
            reported_at timestamptz NOT NULL
        );
        INSERT INTO problem_external_ids SELECT external_id, id, reported_at FROM problems_flat
            WHERE external_id IS NOT NULL;
        CREATE INDEX problem_external_ids_problem ON problem_external_ids (problem_id);
        DROP TABLE problems_flat;

        CREATE INDEX problems_geom ON problems USING gist (geom);
        CREATE INDEX problems_region ON problems (region_code text_pattern_ops);
        CREATE INDEX problems_status_due ON problems (status, due_at);
        CREATE INDEX problems_category_time ON problems (category_code, reported_at) INCLUDE (x_m, y_m);
        CREATE INDEX problems_street ON problems (street_id);
        CREATE INDEX problems_cell ON problems (grid_cell_id);
        CREATE INDEX problems_duplicate_of ON problems (duplicate_of) WHERE duplicate_of IS NOT NULL;
        CREATE INDEX problems_merc ON problems (merc_x, merc_y)
            INCLUDE (x_m, y_m, status, due_at, category_code, reported_at, source, region_code, grid_cell_id)
            WHERE duplicate_of IS NULL;

        -- ccgrid_problems_derive() (migration 0006) is unchanged; it now runs only for rows that lack x/y.
        CREATE TRIGGER problems_derive BEFORE INSERT ON problems
            FOR EACH ROW WHEN (NEW.x_m IS NULL) EXECUTE FUNCTION ccgrid_problems_derive();
        CREATE TRIGGER problems_derive_move BEFORE UPDATE OF geom ON problems
            FOR EACH ROW EXECUTE FUNCTION ccgrid_problems_derive();

        -- Children name the problem by its full key; a writer that knows only the id gets the rest filled in.
        CREATE FUNCTION ccgrid_problem_child_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.problem_id IS NOT NULL THEN
                SELECT reported_at, district_code INTO NEW.problem_reported_at, NEW.district_code
                FROM problems WHERE id = NEW.problem_id;
            END IF;
            RETURN NEW;
        END $$;
        """
    )
    for child in CHILDREN:
        op.execute(
            f"""
            ALTER TABLE {child} ADD COLUMN problem_reported_at timestamptz, ADD COLUMN district_code char(6);
            ALTER TABLE {child} DISABLE TRIGGER USER;
            UPDATE {child} c SET problem_reported_at = p.reported_at, district_code = p.district_code
            FROM problems p WHERE p.id = c.problem_id;
            ALTER TABLE {child} ENABLE TRIGGER USER;
            CREATE TRIGGER {child}_problem_keys BEFORE INSERT ON {child}
                FOR EACH ROW WHEN (NEW.problem_reported_at IS NULL) EXECUTE FUNCTION ccgrid_problem_child_keys();
            """
        )
    # No foreign keys into the partitioned reports: a key check on a partitioned table costs ~30 µs a row (a
    # million-report import spent 4 of its 6 minutes in them, bench/RESULTS.md). The rows that name a problem are
    # written by the same transaction that wrote it; a delete cascades through one set-based statement trigger.
    op.execute(
        """
        CREATE FUNCTION ccgrid_problems_gone() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM problems p JOIN gone g ON p.duplicate_of = g.id
                       WHERE NOT EXISTS (SELECT 1 FROM gone x WHERE x.id = p.id)) THEN
                RAISE EXCEPTION 'a deleted problem is the master of a remaining duplicate'
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
            DELETE FROM problem_events e USING gone g WHERE e.problem_id = g.id;
            DELETE FROM problem_owners o USING gone g WHERE o.problem_id = g.id;
            DELETE FROM escalations x USING gone g WHERE x.problem_id = g.id;
            UPDATE inspection_results r SET problem_id = NULL, problem_reported_at = NULL
            FROM gone g WHERE r.problem_id = g.id;
            DELETE FROM problem_photos f USING gone g WHERE f.problem_id = g.id;
            DELETE FROM problem_external_ids x USING gone g WHERE x.problem_id = g.id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER problems_gone AFTER DELETE ON problems REFERENCING OLD TABLE AS gone
            FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_problems_gone();

        -- The history stays append-only, except when a whole month is moved to the archive (layers/partitions.py).
        DROP TRIGGER problem_events_append_only ON problem_events;
        CREATE TRIGGER problem_events_append_only BEFORE UPDATE OR DELETE ON problem_events
            FOR EACH ROW WHEN (pg_trigger_depth() = 0
                               AND current_setting('ccgrid.archiving', true) IS DISTINCT FROM 'on')
            EXECUTE FUNCTION ccgrid_no_change();
        """
    )
    # Large tables that hang off a region: the district code derived from it, so nothing has to write it.
    for table in ("assignments", "patrols"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN district_code char(6) "
                   "GENERATED ALWAYS AS (left(region_code, 6)) STORED")
    op.execute(
        """
        ALTER TABLE patrol_hits ADD COLUMN district_code char(6);
        UPDATE patrol_hits h SET district_code = p.district_code FROM patrols p WHERE p.id = h.patrol_id;
        CREATE FUNCTION ccgrid_patrol_hit_district() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            SELECT district_code INTO NEW.district_code FROM patrols WHERE id = NEW.patrol_id;
            RETURN NEW;
        END $$;
        CREATE TRIGGER patrol_hits_district BEFORE INSERT ON patrol_hits
            FOR EACH ROW WHEN (NEW.district_code IS NULL) EXECUTE FUNCTION ccgrid_patrol_hit_district();
        ANALYZE problems;
        """
    )


def downgrade() -> None:
    raise NotImplementedError("0007 partitions the reports table; restore from a backup taken before it")
