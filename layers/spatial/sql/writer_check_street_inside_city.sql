-- Staging check (layers/spatial/writer.py): each row returned is (row_no, field, reason) for a row not written.
-- A street segment outside the city's districts grown by the tolerance.
WITH cover AS (SELECT ST_Union(ST_Buffer(geom_m, :tol)) AS g FROM regions WHERE level = 'district')
SELECT s.row_no, 'geometry', 'the segment lies outside the city''s districts (tolerance ' || :tol || ' m)'
FROM stage s, cover WHERE cover.g IS NULL OR NOT ST_Covers(cover.g, s.geom_m)
