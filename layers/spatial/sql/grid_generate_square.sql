-- Tile a community with squares of side `size` in the metric CRS, clipped to the community.
-- The same statement for each method (grid_generate_<method>.sql) but for the `tiles` CTE. Pieces under 1 m²
-- (where streets nearly meet) join the neighbour they share most edge with; serials run west→east within rows
-- running north→south (CJ/T 213).
WITH c AS (SELECT id, code, geom_m FROM regions WHERE id = :cid),
tiles AS (SELECT (ST_SquareGrid(:size, c.geom_m)).geom AS g FROM c),
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
