-- A person's places of a day (their own assignments and their unit's: a person without a unit matches none), one row per place with the roles held
-- there, and whether anyone's patrol passed it since the day began: streets and points by their patrol hits,
-- cells and regions by a track of the day crossing them. Regions are simplified: the phone draws an outline.
WITH mine AS (
    SELECT a.layer, a.feature_id, r.name AS role_name, r.sort
    FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role
    WHERE a.person_id = :pid OR a.unit_id = (SELECT unit_id FROM people WHERE id = :pid)
),
place AS (
    SELECT m.layer, m.feature_id, f.code, f.name, f.road_class AS kind, f.geom
    FROM mine m JOIN streets f ON m.layer = 'streets' AND f.id = m.feature_id
    UNION ALL
    SELECT m.layer, m.feature_id, f.code, f.name, f.point_type, f.geom
    FROM mine m JOIN assessment_points f ON m.layer = 'assessment_points' AND f.id = m.feature_id
    UNION ALL
    SELECT m.layer, m.feature_id, f.code, f.code, NULL, f.geom
    FROM mine m JOIN grid_cells f ON m.layer = 'grid_cells' AND f.id = m.feature_id
    UNION ALL
    SELECT m.layer, m.feature_id, f.code, f.name, f.level, ST_SimplifyPreserveTopology(f.geom, 0.0002)
    FROM mine m JOIN regions f ON m.layer = 'regions' AND f.id = m.feature_id
),
one AS (SELECT DISTINCT ON (layer, feature_id) * FROM place ORDER BY layer, feature_id)
SELECT o.layer, o.feature_id AS id, o.code, o.name, o.kind,
       (SELECT string_agg(DISTINCT m.role_name, '、') FROM mine m
        WHERE m.layer = o.layer AND m.feature_id = o.feature_id) AS role_name,
       CASE WHEN o.layer IN ('streets', 'assessment_points') THEN EXISTS (
                SELECT 1 FROM patrol_hits h WHERE h.layer = o.layer AND h.feature_id = o.feature_id
                  AND h.at >= CAST(:on AS date))
            ELSE EXISTS (
                SELECT 1 FROM patrols t WHERE t.started_at >= CAST(:on AS date)
                  AND t.started_at < CAST(:on AS date) + 1 AND ST_Intersects(t.track, o.geom))
       END AS patrolled_today,
       ST_AsGeoJSON(o.geom, 6) AS g
FROM one o
ORDER BY o.layer, o.name, o.feature_id
