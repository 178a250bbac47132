-- Each facility of the types asked, where it joins the network: the nearest edge, the fraction along it and the
-- straight way onto it (a polygon's nearest side; 0 when a street runs through it).
CREATE TEMP TABLE reach_sources ON COMMIT DROP AS
SELECT t.k, ap.id AS point_id, e.id AS edge_id, e.source, e.target, e.length_m,
       ST_LineLocatePoint(e.geom_m, ST_ClosestPoint(e.geom_m, ap.geom_m)) AS f, e.d AS access_m
FROM reach_types t JOIN assessment_points ap ON ap.point_type = t.point_type
CROSS JOIN LATERAL (
    SELECT e.id, e.source, e.target, e.length_m, e.geom_m, ST_Distance(e.geom_m, ap.geom_m) AS d
    FROM network_edges e
    WHERE (SELECT env FROM reach_area) IS NULL OR e.geom_m && (SELECT env FROM reach_area)
    ORDER BY e.geom_m <-> ap.geom_m LIMIT 1) e
WHERE e.d <= :access_max
  AND ((SELECT env FROM reach_area) IS NULL OR ap.geom_m && (SELECT env FROM reach_area))
