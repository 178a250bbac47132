-- Staging check (layers/spatial/writer.py): each row returned is (row_no, field, reason) for a row not written.
-- An assessment point farther than the tolerance from every region of the city.
SELECT s.row_no, 'geometry', 'the point is not inside any region of the city (tolerance ' || :tol || ' m)'
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM regions r
                  WHERE ST_DWithin(r.geom_m, ST_PointOnSurface(s.geom_m), :tol))
