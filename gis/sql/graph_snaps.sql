-- Ends that stop short of (or just past) another line, within the tolerance: moved onto its nearest point. An end
-- that touches some line exactly is a junction already and stays; so do the ends of `exact` lines (their data
-- says where they meet: an OpenStreetMap way ends where it ends).
CREATE TEMP TABLE graph_snaps ON COMMIT DROP AS
SELECT e.line_id, e.at, n.id AS onto, ST_ClosestPoint(n.geom, e.pt) AS pt
FROM (SELECT id AS line_id, 0 AS at, ST_StartPoint(geom) AS pt FROM graph_near WHERE NOT exact
      UNION ALL SELECT id, 1, ST_EndPoint(geom) FROM graph_near WHERE NOT exact) e
CROSS JOIN LATERAL (
    SELECT o.id, o.geom FROM graph_lines o
    WHERE o.id <> e.line_id AND ST_DWithin(o.geom, e.pt, :tol)
    ORDER BY ST_Distance(o.geom, e.pt), o.id LIMIT 1) n
WHERE NOT EXISTS (SELECT 1 FROM graph_lines x WHERE x.id <> e.line_id AND ST_Intersects(x.geom, e.pt))
