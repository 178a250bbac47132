-- Staging check (layers/spatial/writer.py): each row returned is (row_no, field, reason) for a row not written.
-- A cell reaching outside its community by more than the tolerance.
SELECT s.row_no, 'geometry',
       round(ST_Area(ST_Difference(s.geom_m, c.geom_m))::numeric) || ' m² lies outside community '
       || c.code || ' (tolerance ' || :tol || ' m)'
FROM stage s JOIN regions c ON c.id = s.community_id
WHERE NOT ST_Covers(ST_Buffer(c.geom_m, :tol), s.geom_m)
