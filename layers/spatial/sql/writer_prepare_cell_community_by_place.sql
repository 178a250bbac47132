-- Staging preparation for grid cells (layers/spatial/writer.py), run before the checks.
-- No community given: the one containing the cell.
UPDATE stage s SET community_id = r.id, community_code = r.code
FROM regions r
WHERE s.community_code IS NULL AND r.level = 'community'
  AND ST_Intersects(r.geom, ST_PointOnSurface(s.geom))
