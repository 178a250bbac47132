-- Assignments that end within `days` days of the day `on`.
SELECT a.id, a.layer, a.feature_id, f.code, a.role, r.name AS role_name, coalesce(p.name, u.name) AS holder,
       a.valid_to, a.valid_to - CAST(:on AS date) AS days_left
FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role
JOIN ownable_features f ON f.layer = a.layer AND f.id = a.feature_id
LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
WHERE a.valid_to IS NOT NULL AND a.valid_to <= CAST(:on AS date) + :days
  AND coalesce(a.region_code, '') LIKE :scope || '%' AND (CAST(:layer AS text) IS NULL OR a.layer = :layer)
  AND (CAST(:family AS text) IS NULL OR r.family = :family)
ORDER BY a.valid_to, a.id LIMIT :limit
