-- Staging preparation for grid cells (layers/spatial/writer.py), run before the checks.
-- The community given by its code.
UPDATE stage s SET community_id = r.id
FROM regions r WHERE r.level = 'community' AND r.code = s.community_code
