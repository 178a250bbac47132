-- Assessment points a field inspector may visit (layers/ledger/inspections.py:points_to_visit): in the caller's
-- region, of a type with a checklist, with a spot on each and its last visit.
SELECT a.id, a.code, a.name, a.point_type,
       ST_X(ST_PointOnSurface(a.geom)) AS lon, ST_Y(ST_PointOnSurface(a.geom)) AS lat,
       (SELECT max(v.visited_at) FROM inspection_visits v WHERE v.point_id = a.id) AS last_visit
FROM assessment_points a
WHERE coalesce(a.region_code, '') LIKE coalesce(CAST(:s AS text), '') || '%'
  AND EXISTS (SELECT 1 FROM checklist_items c WHERE c.point_type = a.point_type)
  AND (:q = '' OR a.name LIKE '%' || :q || '%' OR a.code LIKE '%' || :q || '%' OR a.point_type = :q)
ORDER BY a.point_type, a.name, a.id
LIMIT :l
