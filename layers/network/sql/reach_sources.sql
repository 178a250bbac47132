-- Each facility of the types asked, where it joins the network (network_access; a row older than the facility is
-- computed here instead): the nearest edge, the fraction along it and the straight way onto it.
CREATE TEMP TABLE reach_sources ON COMMIT DROP AS
WITH fac AS (
    SELECT t.k, ap.id, ap.updated_at, ap.geom_m
    FROM reach_types t JOIN assessment_points ap ON ap.point_type = t.point_type
    WHERE (SELECT env FROM reach_area) IS NULL OR ap.geom_m && (SELECT env FROM reach_area)),
joined AS (
    SELECT x.k, x.id, a.edge_id, a.f, a.access_m
    FROM fac x JOIN network_access a ON a.layer = 'assessment_points' AND a.feature_id = x.id
                                   AND a.stamp = x.updated_at
    UNION ALL
    SELECT x.k, x.id, e.id, ST_LineLocatePoint(e.geom_m, ST_ClosestPoint(e.geom_m, x.geom_m)), e.d
    FROM fac x CROSS JOIN LATERAL (
        SELECT * FROM (SELECT id, geom_m, ST_Distance(geom_m, x.geom_m) AS d FROM network_edges
                       ORDER BY geom_m <-> x.geom_m LIMIT 6) n ORDER BY d, id LIMIT 1) e
    WHERE NOT EXISTS (SELECT 1 FROM network_access a WHERE a.layer = 'assessment_points' AND a.feature_id = x.id
                      AND a.stamp = x.updated_at))
SELECT j.k, j.id AS point_id, e.id AS edge_id, e.source, e.target, e.length_m, j.f, j.access_m
FROM joined j JOIN network_edges e ON e.id = j.edge_id
WHERE j.access_m <= :access_max
  AND ((SELECT env FROM reach_area) IS NULL OR e.geom_m && (SELECT env FROM reach_area))
