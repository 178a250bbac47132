-- A round's 失分条目 (layers/campaign/round_results.py): every item failed at the latest visit in the round of a
-- sampled point inside the caller's region (:cs), with its point, 社区 and 街道, the weight it lost, the
-- inspector's note, the problem it raised (and that problem's status now) and the problem's photos.
SELECT rp.point_id, a.name AS point_name, a.code AS point_code, rp.point_type, rp.region_code,
       cm.name AS community_name, rp.subdistrict_code, sd.name AS subdistrict_name, ci.id AS item_id,
       ci.code AS item_code, ci.text AS item_text, coalesce(ir.weight, ci.weight) AS weight, ir.note,
       v.visited_at, v.inspector, ir.problem_id, p.status, st.name AS status_name,
       coalesce((SELECT array_agg(ph.id ORDER BY ph.id) FROM problem_photos ph WHERE ph.problem_id = ir.problem_id),
                '{}') AS photo_ids
FROM assessment_round_points rp
JOIN assessment_round_visits v ON v.round_id = rp.round_id AND v.point_id = rp.point_id
JOIN inspection_results ir ON ir.visit_id = v.visit_id AND NOT ir.passed
JOIN checklist_items ci ON ci.id = ir.item_id
JOIN assessment_points a ON a.id = rp.point_id
LEFT JOIN regions cm ON cm.code = rp.region_code
LEFT JOIN regions sd ON sd.code = rp.subdistrict_code
LEFT JOIN problems p ON p.id = ir.problem_id AND p.reported_at = ir.problem_reported_at
LEFT JOIN problem_statuses st ON st.code = p.status
WHERE rp.round_id = :round AND starts_with(coalesce(rp.region_code, ''), :cs)
ORDER BY rp.subdistrict_code, rp.region_code, a.name, rp.point_id, ci.sort, ci.code
LIMIT :limit
