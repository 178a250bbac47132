-- People over their role's workload limit: kilometres of street, or places for roles that keep points.
SELECT p.id AS person_id, p.name, r.code AS role, r.name AS role_name,
       round((sum(s.length_m) / 1000)::numeric, 2) AS street_km, r.max_street_km,
       count(*) AS places, r.max_points
FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role JOIN people p ON p.id = a.person_id
LEFT JOIN streets s ON a.layer = 'streets' AND s.id = a.feature_id
WHERE coalesce(p.region_code, a.region_code, '') LIKE :scope || '%'
  AND (CAST(:family AS text) IS NULL OR r.family = :family)
GROUP BY p.id, p.name, r.code, r.name, r.max_street_km, r.max_points
HAVING (r.max_street_km IS NOT NULL AND sum(s.length_m) / 1000 > r.max_street_km)
    OR (r.max_points IS NOT NULL AND bool_and(a.layer <> 'streets') AND count(*) > r.max_points)
ORDER BY p.id LIMIT :limit
