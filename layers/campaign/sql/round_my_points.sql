-- An inspector's round points for the field app (layers/campaign/round_assign.py): the points assigned to the
-- account (:user) in the rounds in progress, inside its region (:cs), not yet visited first, then by 街道 and 社区.
SELECT r.id AS round_id, r.name AS round_name, r.kind, r.period, rp.point_id, a.name, a.code, rp.point_type,
       rp.region_code, cm.name AS community_name, sd.name AS subdistrict_name, v.visited_at, v.score,
       ST_X(ST_PointOnSurface(a.geom)) AS lon, ST_Y(ST_PointOnSurface(a.geom)) AS lat
FROM assessment_round_points rp
JOIN assessment_rounds r ON r.id = rp.round_id AND r.state = 'in_progress'
JOIN assessment_points a ON a.id = rp.point_id
LEFT JOIN regions cm ON cm.code = rp.region_code
LEFT JOIN regions sd ON sd.code = rp.subdistrict_code
LEFT JOIN assessment_round_visits v ON v.round_id = rp.round_id AND v.point_id = rp.point_id
WHERE rp.assignee_user_id = :user AND starts_with(coalesce(rp.region_code, ''), :cs)
ORDER BY r.period_start DESC, r.id DESC, v.visit_id IS NOT NULL, rp.subdistrict_code, rp.region_code, a.name
