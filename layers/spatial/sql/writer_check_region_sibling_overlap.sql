-- Staging check (layers/spatial/writer.py): each row returned is (row_no, field, reason) for a row not written.
-- Siblings (same parent) may share borders and stick into each other by the tolerance, no more: a region
-- overlaps when it reaches into its sibling shrunk by the tolerance. Siblings are the staged rows and the
-- stored ones the write does not replace. Districts have no parent region here, so no siblings.
SELECT s.row_no, 'geometry',
       'overlaps sibling region ' || o.code || ' by '
       || round(ST_Area(ST_Intersection(s.geom_m, o.geom_m))::numeric) || ' m² (tolerance ' || :tol || ' m)'
FROM stage s
CROSS JOIN LATERAL (
    SELECT r.code, r.geom_m FROM regions r
    WHERE r.geom_m && s.geom_m AND NOT EXISTS (SELECT 1 FROM stage x WHERE x.code = r.code)
    UNION ALL
    SELECT x.code, x.geom_m FROM stage x WHERE x.geom_m && s.geom_m AND x.row_no <> s.row_no
) o
WHERE s.level <> 'district' AND length(o.code) = length(s.code) AND o.code <> s.code
  AND left(o.code, length(o.code) - 3) = left(s.code, length(s.code) - 3)
  AND ST_Intersects(s.geom_m, ST_Buffer(o.geom_m, -:tol))
