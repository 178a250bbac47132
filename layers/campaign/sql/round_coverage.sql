-- A round's coverage (layers/campaign/round_results.py): sampled and visited points (a visit in the round) inside
-- the caller's region (:cs), for the whole round, per 街道, per point type, per 街道 and type (the sample's table)
-- and per assigned inspector (NULL: not assigned).
SELECT CASE WHEN grouping(rp.subdistrict_code) = 0 AND grouping(rp.point_type) = 0 THEN 'subdistrict_type'
            WHEN grouping(rp.subdistrict_code) = 0 THEN 'subdistrict'
            WHEN grouping(rp.point_type) = 0 THEN 'point_type'
            WHEN grouping(rp.assignee_user_id) = 0 THEN 'inspector'
            ELSE 'round' END AS level,
       rp.subdistrict_code, min(sd.name) AS subdistrict_name, rp.point_type, rp.assignee_user_id,
       min(u.display_name) AS assignee_name, count(*) AS sampled, count(v.visit_id) AS visited,
       count(*) FILTER (WHERE rp.reason <> 'quota') AS forced
FROM assessment_round_points rp
LEFT JOIN assessment_round_visits v ON v.round_id = rp.round_id AND v.point_id = rp.point_id
LEFT JOIN regions sd ON sd.code = rp.subdistrict_code
LEFT JOIN users u ON u.id = rp.assignee_user_id
WHERE rp.round_id = :round AND starts_with(coalesce(rp.region_code, ''), :cs)
GROUP BY GROUPING SETS ((), (rp.subdistrict_code), (rp.point_type), (rp.subdistrict_code, rp.point_type),
                        (rp.assignee_user_id))
ORDER BY level, rp.subdistrict_code, rp.point_type, assignee_name
