-- Staging check (layers/spatial/writer.py): each row returned is (row_no, field, reason) for a row not written.
-- A region reaching outside its parent region by more than the tolerance (tol metres).
WITH parent AS (
    SELECT s.row_no, s.geom_m AS child, left(s.code, length(s.code) - 3) AS pcode,
           coalesce((SELECT p.geom_m FROM stage p WHERE p.code = left(s.code, length(s.code) - 3)),
                    (SELECT p.geom_m FROM regions p WHERE p.code = left(s.code, length(s.code) - 3)))
               AS pg
    FROM stage s WHERE s.level <> 'district')
SELECT row_no, 'geometry',
       round(ST_Area(ST_Difference(child, pg))::numeric) || ' m² lies outside its parent region '
       || pcode || ' (tolerance ' || :tol || ' m)'
FROM parent WHERE pg IS NOT NULL AND NOT ST_Covers(ST_Buffer(pg, :tol), child)
