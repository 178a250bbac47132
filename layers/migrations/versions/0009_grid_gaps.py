"""Grid gaps and overlaps, precomputed and kept current on write.

Finding the parts of each community that no grid cell covers means unioning ~150 cells per community: ~2 s for a
city of 18,000 cells, on every coverage request. The grid changes rarely (an import, an edit), so the pieces are
stored and recomputed by statement-level triggers for just the communities a write touches: a changed cell's own
community and every community its old or new shape overlaps. Overlaps between cells are kept the same way, per
pair. A coverage request then reads rows. The cost moves to grid writes (measured in bench/RESULTS.md).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE grid_gap_pieces (
            community_id  integer NOT NULL REFERENCES regions(id) ON DELETE CASCADE,
            district_code char(6) NOT NULL,
            geom_m        geometry(Polygon) NOT NULL,
            area_m2       double precision NOT NULL
        );
        CREATE INDEX grid_gap_pieces_community ON grid_gap_pieces (community_id);
        CREATE TABLE grid_overlap_pieces (
            cell_a        integer NOT NULL REFERENCES grid_cells(id) ON DELETE CASCADE,
            cell_b        integer NOT NULL REFERENCES grid_cells(id) ON DELETE CASCADE,
            district_code char(6) NOT NULL,
            geom_m        geometry NOT NULL,
            area_m2       double precision NOT NULL,
            PRIMARY KEY (cell_a, cell_b)
        );
        CREATE INDEX grid_overlap_pieces_b ON grid_overlap_pieces (cell_b);

        -- The uncovered parts of these communities: the community minus the cells of its own or of its
        -- sub-district that reach into it.
        CREATE FUNCTION ccgrid_grid_gaps_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$
            DELETE FROM grid_gap_pieces WHERE community_id = ANY(ids);
            INSERT INTO grid_gap_pieces (community_id, district_code, geom_m, area_m2)
            SELECT r.id, r.district_code, d.geom, ST_Area(d.geom)
            FROM regions r
            CROSS JOIN LATERAL (SELECT ST_Union(g.geom_m) AS cells FROM grid_cells g
                                WHERE g.community_id = r.id
                                   OR (g.geom_m && r.geom_m AND g.region_code LIKE left(r.code, 9) || '%')) u
            CROSS JOIN LATERAL ST_Dump(CASE WHEN u.cells IS NULL THEN r.geom_m
                                            ELSE ST_Difference(r.geom_m, u.cells) END) d
            WHERE r.id = ANY(ids) AND r.level = 'community' AND ST_Dimension(d.geom) = 2;
        $$;
        -- Every overlap of these cells with another (each pair once, lower id first).
        CREATE FUNCTION ccgrid_grid_overlaps_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$
            DELETE FROM grid_overlap_pieces WHERE cell_a = ANY(ids) OR cell_b = ANY(ids);
            INSERT INTO grid_overlap_pieces (cell_a, cell_b, district_code, geom_m, area_m2)
            SELECT a.id, b.id, a.district_code, x.geom, ST_Area(x.geom)
            FROM grid_cells a JOIN grid_cells b ON a.id < b.id AND a.geom_m && b.geom_m
                 AND ST_Relate(a.geom_m, b.geom_m, '2********')
            CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_Intersection(a.geom_m, b.geom_m), 3) AS geom) x
            WHERE (a.id = ANY(ids) OR b.id = ANY(ids)) AND NOT ST_IsEmpty(x.geom)
            ON CONFLICT DO NOTHING;
        $$;

        CREATE FUNCTION ccgrid_grid_cells_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            cells integer[];
            communities integer[];
        BEGIN
            -- The changed cells as they are now and as they were, whichever this statement has.
            CREATE TEMP TABLE IF NOT EXISTS grid_changed (id integer, community_id integer, geom_m geometry)
                ON COMMIT DROP;
            IF TG_OP <> 'DELETE' THEN
                INSERT INTO grid_changed SELECT id, community_id, geom_m FROM new_rows;
            END IF;
            IF TG_OP <> 'INSERT' THEN
                INSERT INTO grid_changed SELECT id, community_id, geom_m FROM old_rows;
            END IF;
            SELECT array_agg(DISTINCT id) INTO cells FROM grid_changed;
            SELECT array_agg(DISTINCT r.id) INTO communities
            FROM regions r JOIN grid_changed c ON r.id = c.community_id
                OR (r.level = 'community' AND r.geom_m && c.geom_m);
            TRUNCATE grid_changed;
            IF TG_OP <> 'DELETE' THEN
                PERFORM ccgrid_grid_overlaps_refresh(cells);
            END IF;
            PERFORM ccgrid_grid_gaps_refresh(communities);
            RETURN NULL;
        END $$;
        CREATE TRIGGER grid_cells_gaps_insert AFTER INSERT ON grid_cells REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_grid_cells_changed();
        CREATE TRIGGER grid_cells_gaps_update AFTER UPDATE ON grid_cells
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_grid_cells_changed();
        CREATE TRIGGER grid_cells_gaps_delete AFTER DELETE ON grid_cells REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_grid_cells_changed();

        CREATE FUNCTION ccgrid_communities_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            communities integer[];
        BEGIN
            SELECT array_agg(id) INTO communities FROM new_rows WHERE level = 'community';
            PERFORM ccgrid_grid_gaps_refresh(communities);
            RETURN NULL;
        END $$;
        CREATE TRIGGER regions_gaps_insert AFTER INSERT ON regions REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_communities_changed();
        CREATE TRIGGER regions_gaps_update AFTER UPDATE ON regions REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_communities_changed();

        SELECT ccgrid_grid_overlaps_refresh(array_agg(id)) FROM grid_cells;
        SELECT ccgrid_grid_gaps_refresh(array_agg(id)) FROM regions WHERE level = 'community';
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER grid_cells_gaps_insert ON grid_cells;
        DROP TRIGGER grid_cells_gaps_update ON grid_cells;
        DROP TRIGGER grid_cells_gaps_delete ON grid_cells;
        DROP TRIGGER regions_gaps_insert ON regions;
        DROP TRIGGER regions_gaps_update ON regions;
        DROP FUNCTION ccgrid_grid_cells_changed, ccgrid_communities_changed, ccgrid_grid_gaps_refresh,
                      ccgrid_grid_overlaps_refresh;
        DROP TABLE grid_gap_pieces, grid_overlap_pieces;
        """
    )
