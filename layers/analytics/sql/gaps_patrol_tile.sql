-- One vector tile of patrol gaps (the coverage map's 未按期巡查 layer): the streets and assessment points in tile
-- :z/:x/:y whose last inspection (a patrol track's hit or a checklist visit) is older than their owners' shortest
-- duty (or :days when given, or :default_days for places nobody owns) — the rule of sql/gaps_patrol.sql, probed per
-- place through the (layer, feature_id, at) and (point_id, visited_at) indexes instead of grouping every hit.
WITH bounds AS ({bounds}),
place AS (
    SELECT 'streets' AS layer, id, name, geom, length_m FROM streets, bounds
    WHERE geom && bounds.env AND region_code LIKE :scope || '%' AND coalesce(:layer, 'streets') = 'streets'
    UNION ALL
    SELECT 'assessment_points', id, name, geom, NULL FROM assessment_points, bounds
    WHERE geom && bounds.env AND coalesce(region_code, '') LIKE :scope || '%'
      AND coalesce(:layer, 'assessment_points') = 'assessment_points'
    LIMIT :cap),
due AS (
    SELECT p.*,
           coalesce(CAST(:days AS int),
                    (SELECT min(r.patrol_every_days) FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role
                     WHERE a.layer = p.layer AND a.feature_id = p.id), :default_days) AS duty_days,
           greatest((SELECT max(h.at) FROM patrol_hits h WHERE h.layer = p.layer AND h.feature_id = p.id),
                    (SELECT max(v.visited_at) FROM inspection_visits v
                     WHERE p.layer = 'assessment_points' AND v.point_id = p.id)) AS last_inspected
    FROM place p),
mvt AS (
    SELECT ST_AsMVTGeom(ST_Transform(d.geom, 3857), bounds.merc, {extent}, {buffer}, true) AS geom,
           d.id, d.layer, CASE WHEN :z >= 14 THEN d.name END AS name, d.duty_days,
           floor(extract(epoch FROM now() - d.last_inspected) / 86400)::int AS days_since
    FROM due d, bounds
    WHERE d.last_inspected IS NULL OR d.last_inspected < now() - make_interval(days => d.duty_days))
SELECT ST_AsMVT(mvt, 'patrol', {extent}, 'geom') FROM mvt WHERE geom IS NOT NULL
