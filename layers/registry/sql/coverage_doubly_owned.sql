-- Features with several holders of one primary role (交叉: allowed, shown).
SELECT a.layer, a.feature_id, f.code, f.name, a.role, r.name AS role_name,
       count(*) AS owners, string_agg(coalesce(p.name, u.name), '、' ORDER BY a.id) AS holders
FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role AND r.is_primary
JOIN ownable_features f ON f.layer = a.layer AND f.id = a.feature_id
LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
WHERE coalesce(a.region_code, '') LIKE :scope || '%' AND (CAST(:layer AS text) IS NULL OR a.layer = :layer)
  AND (CAST(:family AS text) IS NULL OR r.family = :family)
GROUP BY a.layer, a.feature_id, f.code, f.name, a.role, r.name
HAVING count(DISTINCT (a.person_id, a.unit_id)) > 1 ORDER BY f.code LIMIT :limit
