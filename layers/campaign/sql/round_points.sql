-- A round's sample as a list (layers/campaign/round_assign.py): each sampled point inside the caller's region (:cs)
-- with its type, 社区 and 街道, why it is in, its inspector, its latest visit in the round (score, failed items) and
-- whether it is flagged 易失分/易反弹 now (weak_kind);
-- optionally one 街道, one type, one inspector (:assignee; 0: not assigned).
SELECT rp.point_id, a.name, a.code, rp.point_type, rp.region_code, cm.name AS community_name, rp.subdistrict_code,
       sd.name AS subdistrict_name, rp.reason, rp.assignee_user_id, u.display_name AS assignee_name,
       v.visit_id, v.visited_at, v.score, v.inspector, w.kind AS weak_kind,
       (SELECT count(*) FROM inspection_results ir WHERE ir.visit_id = v.visit_id AND NOT ir.passed) AS failed,
       ST_X(ST_PointOnSurface(a.geom)) AS lon, ST_Y(ST_PointOnSurface(a.geom)) AS lat
FROM assessment_round_points rp
JOIN assessment_points a ON a.id = rp.point_id
LEFT JOIN regions cm ON cm.code = rp.region_code
LEFT JOIN regions sd ON sd.code = rp.subdistrict_code
LEFT JOIN users u ON u.id = rp.assignee_user_id
LEFT JOIN assessment_round_visits v ON v.round_id = rp.round_id AND v.point_id = rp.point_id
LEFT JOIN weak_points w ON w.point_id = rp.point_id
WHERE rp.round_id = :round AND starts_with(coalesce(rp.region_code, ''), :cs)
  AND (CAST(:sub AS text) IS NULL OR rp.subdistrict_code = :sub)
  AND (CAST(:type AS text) IS NULL OR rp.point_type = :type)
  AND (CAST(:assignee AS integer) IS NULL OR coalesce(rp.assignee_user_id, 0) = :assignee)
ORDER BY rp.subdistrict_code, rp.region_code, rp.point_type, a.name, rp.point_id
LIMIT :limit
