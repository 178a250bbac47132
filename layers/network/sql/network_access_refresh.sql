-- Where every facility (assessment point), grid cell and cell-less community without a current row joins the
-- network: its nearest edge (a polygon facility by its nearest side; a cell or community by its centre,
-- ST_PointOnSurface), the fraction along it and the straight way there. With :layer, only the :ids of that layer
-- (and the communities, few, whose cells may have come or gone).
WITH f AS (
    SELECT 'assessment_points'::text AS layer, id, updated_at AS stamp FROM assessment_points
    WHERE CAST(:layer AS text) IS NULL OR (:layer = 'assessment_points' AND id = ANY(:ids))
    UNION ALL
    SELECT 'grid_cells', id, updated_at FROM grid_cells
    WHERE CAST(:layer AS text) IS NULL OR (:layer = 'grid_cells' AND id = ANY(:ids))
    UNION ALL
    SELECT 'regions', r.id, r.updated_at FROM regions r
    WHERE r.level = 'community' AND NOT EXISTS (SELECT 1 FROM grid_cells c WHERE c.community_id = r.id)
      AND (CAST(:layer AS text) IS NULL OR :layer IN ('regions', 'grid_cells'))),
todo AS (
    SELECT f.* FROM f WHERE NOT EXISTS (SELECT 1 FROM network_access a
                                        WHERE a.layer = f.layer AND a.feature_id = f.id AND a.stamp = f.stamp)),
shaped AS (
    SELECT t.layer, t.id, t.stamp,
           coalesce(ap.geom_m, ST_PointOnSurface(c.geom_m), ST_PointOnSurface(r.geom_m)) AS shape
    FROM todo t
    LEFT JOIN assessment_points ap ON t.layer = 'assessment_points' AND ap.id = t.id
    LEFT JOIN grid_cells c ON t.layer = 'grid_cells' AND c.id = t.id
    LEFT JOIN regions r ON t.layer = 'regions' AND r.id = t.id)
INSERT INTO network_access (layer, feature_id, edge_id, f, access_m, stamp, shape)
SELECT s.layer, s.id, e.id, ST_LineLocatePoint(e.geom_m, ST_ClosestPoint(e.geom_m, s.shape)), e.d, s.stamp, s.shape
FROM shaped s CROSS JOIN LATERAL (  -- ties (a centre as near two streets): the lower id, the same every time
    SELECT * FROM (SELECT id, geom_m, ST_Distance(geom_m, s.shape) AS d FROM network_edges
                   ORDER BY geom_m <-> s.shape LIMIT 6) n ORDER BY d, id LIMIT 1) e
WHERE s.shape IS NOT NULL
ON CONFLICT (layer, feature_id) DO UPDATE SET edge_id = EXCLUDED.edge_id, f = EXCLUDED.f,
    access_m = EXCLUDED.access_m, stamp = EXCLUDED.stamp, shape = EXCLUDED.shape
