-- Tile a community with city blocks: faces of the street network noded together with the community outline.
-- Blocks far above the nominal size are cut by a square grid so cells stay walkable.
-- The same statement for each method (grid_generate_<method>.sql) but for the `tiles` CTE. Pieces under 1 m²
-- (where streets nearly meet) join the neighbour they share most edge with; serials run west→east within rows
-- running north→south (CJ/T 213).
WITH c AS (SELECT id, code, geom_m FROM regions WHERE id = :cid),
tiles AS (
    WITH faces AS (
        SELECT (ST_Dump(ST_Polygonize(lines))).geom AS g FROM (
            SELECT ST_Node(ST_Collect(l)) AS lines FROM (
                SELECT ST_Boundary(c.geom_m) AS l FROM c
                UNION ALL
                -- Street pieces lengthened by 1 m so ends on the outline cross it instead of dangling.
                SELECT ccgrid_extend_line(d.geom, 1.0)
                FROM streets s, c,
                     ST_Dump(ST_CollectionExtract(ST_Intersection(s.geom_m, ST_Buffer(c.geom_m, 1)), 2)) d
                WHERE ST_Intersects(s.geom_m, c.geom_m) AND ST_NPoints(d.geom) >= 2) parts) noded)
    SELECT g FROM faces WHERE ST_Area(g) <= 4 * :nominal
    UNION ALL
    SELECT ST_Intersection(f.g, sq.geom) FROM faces f
    CROSS JOIN LATERAL ST_SquareGrid(sqrt(:nominal), f.g) sq
    WHERE ST_Area(f.g) > 4 * :nominal AND ST_Intersects(sq.geom, f.g)),
pieces AS (
    SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Intersection(t.g, c.geom_m)), 3)) AS g
    FROM tiles t, c WHERE ST_Intersects(t.g, c.geom_m)),
big AS (SELECT row_number() OVER () AS id, g FROM pieces WHERE ST_Area(g) >= 1),
-- Slivers under 1 m² (where streets nearly meet) join the neighbour they share most edge with.
small AS (
    SELECT (SELECT b.id FROM big b WHERE ST_DWithin(b.g, p.g, 0.01)
            ORDER BY ST_Length(ST_Intersection(ST_Boundary(b.g), ST_Buffer(p.g, 0.01))) DESC LIMIT 1) AS id, p.g
    FROM pieces p WHERE ST_Area(p.g) < 1 AND NOT ST_IsEmpty(p.g)),
kept AS (
    SELECT ST_Multi(ST_CollectionExtract(ST_UnaryUnion(ST_Collect(b.g, ST_Collect(s.g)), 0.001), 3)) AS g
    FROM big b LEFT JOIN small s ON s.id = b.id GROUP BY b.id, b.g),
numbered AS (
    SELECT g, row_number() OVER (ORDER BY -floor(ST_Y(ST_Centroid(g)) / :row_height), ST_X(ST_Centroid(g))) AS serial
    FROM kept)
INSERT INTO grid_cells (code, community_id, geom)
SELECT c.code || lpad(serial::text, 3, '0'), c.id,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(n.g, 4490)), 3))
FROM numbered n, c
