-- Per facility type, every edge with a reached end: the walk to each end and how far along it the walk reaches
-- from there (a from the source, b back from the target, as fractions; the whole edge once a >= b).
CREATE TEMP TABLE reach_spans ON COMMIT DROP AS
SELECT t.k, e.id AS edge_id, a.cost AS ds, b.cost AS dt,
       -- (least/greatest skip NULLs: an end not reached must stay NULL, not become the whole edge)
       CASE WHEN a.cost IS NOT NULL THEN least(1, (t.limit_m - a.cost) / e.length_m) END AS a,
       CASE WHEN b.cost IS NOT NULL THEN greatest(0, 1 - (t.limit_m - b.cost) / e.length_m) END AS b
FROM network_edges e CROSS JOIN reach_types t
LEFT JOIN reach_nodes a ON a.node = e.source AND a.k = t.k
LEFT JOIN reach_nodes b ON b.node = e.target AND b.k = t.k
WHERE (a.k IS NOT NULL OR b.k IS NOT NULL)
  AND ((SELECT env FROM reach_area) IS NULL OR e.geom_m && (SELECT env FROM reach_area))
