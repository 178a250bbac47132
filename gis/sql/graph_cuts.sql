-- Where each target line is cut, as a fraction along it and the exact point the pieces meet at: its two ends
-- (where snapped, the point they were moved to), its crossings with every other line (the intersection of the
-- pair taken lower id first, so both lines of a pair get the same point), and the points other lines' ends were
-- snapped onto it. Two `exact` lines meet only at a vertex they share (OpenStreetMap ways at a common node: a
-- bridge crossing a road without one does not meet it).
CREATE TEMP TABLE graph_cuts ON COMMIT DROP AS
WITH crossings AS (
    SELECT a.id AS line_id,
           (ST_Dump(CASE WHEN a.exact AND b.exact THEN ST_Intersection(ST_Points(a.geom), ST_Points(b.geom))
                         ELSE ST_Intersection(CASE WHEN a.id < b.id THEN a.geom ELSE b.geom END,
                                              CASE WHEN a.id < b.id THEN b.geom ELSE a.geom END) END)).geom AS g
    FROM graph_targets t JOIN graph_lines a ON a.id = t.id
    JOIN graph_lines b ON b.id <> a.id AND ST_Intersects(a.geom, b.geom)),
sides AS (
    SELECT line_id, g AS pt FROM crossings WHERE GeometryType(g) = 'POINT'
    UNION ALL SELECT line_id, ST_StartPoint(g) FROM crossings WHERE GeometryType(g) = 'LINESTRING'
    UNION ALL SELECT line_id, ST_EndPoint(g) FROM crossings WHERE GeometryType(g) = 'LINESTRING'
    UNION ALL SELECT s.onto, s.pt FROM graph_snaps s JOIN graph_targets t ON t.id = s.onto)
SELECT l.id AS line_id, 0::float8 AS f, -1 AS rank, coalesce(s.pt, ST_StartPoint(l.geom)) AS pt
FROM graph_targets t JOIN graph_lines l ON l.id = t.id LEFT JOIN graph_snaps s ON s.line_id = l.id AND s.at = 0
UNION ALL
SELECT l.id, 1::float8, 1, coalesce(s.pt, ST_EndPoint(l.geom))
FROM graph_targets t JOIN graph_lines l ON l.id = t.id LEFT JOIN graph_snaps s ON s.line_id = l.id AND s.at = 1
UNION ALL
SELECT l.id, ST_LineLocatePoint(l.geom, x.pt), 0, x.pt FROM sides x JOIN graph_lines l ON l.id = x.line_id
