-- The points a round may draw (layers/campaign/sampling.py): inside its scope (:scope, '' for the whole city), of
-- an active point type with an active checklist (a point without one cannot be scored). Each with its 街道 (the
-- stratum), its place in the seeded order (md5 of seed and id: the same seed and the same points give the same
-- order, and a point added later does not move the others), and why it must be in, if it must: named for the round,
-- flagged 易失分/易反弹 (:weak), or failed an item at its latest visit in the previous round (:previous).
WITH failed AS (
    SELECT v.point_id FROM assessment_round_visits v
    WHERE v.round_id = CAST(:previous AS integer)
      AND EXISTS (SELECT 1 FROM inspection_results ir WHERE ir.visit_id = v.visit_id AND NOT ir.passed)
)
SELECT a.id, a.point_type, a.region_code,
       CASE WHEN length(a.region_code) >= 9 THEN left(a.region_code, 9) ELSE a.region_code END AS subdistrict_code,
       md5(CAST(:seed AS text) || ':' || a.id) AS draw_key,
       CASE WHEN inc.point_id IS NOT NULL THEN 'listed'
            WHEN :weak AND w.point_id IS NOT NULL THEN 'weak'
            WHEN f.point_id IS NOT NULL THEN 'failed_previous' END AS forced
FROM assessment_points a
JOIN point_types t ON t.name = a.point_type AND t.active
LEFT JOIN assessment_round_includes inc ON inc.round_id = :round AND inc.point_id = a.id
LEFT JOIN weak_points w ON w.point_id = a.id
LEFT JOIN failed f ON f.point_id = a.id
WHERE starts_with(coalesce(a.region_code, ''), :scope)
  AND EXISTS (SELECT 1 FROM checklist_items c WHERE c.point_type = a.point_type AND c.active)
ORDER BY a.point_type, subdistrict_code, draw_key
