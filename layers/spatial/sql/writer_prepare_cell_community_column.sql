-- Staging preparation for grid cells (layers/spatial/writer.py), run before the checks.
-- The community each staged cell belongs to.
ALTER TABLE stage ADD COLUMN community_id integer
