-- Assignments that end within `days` days of the day `on` and have no successor: a planned handover (another
-- holder of the same role family on the same feature from the end day on) is not expiring.
SELECT a.id, a.layer, a.feature_id, f.code, a.role, r.name AS role_name, coalesce(p.name, u.name) AS holder,
       a.valid_to, a.valid_to - CAST(:on AS date) AS days_left
FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role
JOIN ownable_features f ON f.layer = a.layer AND f.id = a.feature_id
LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
WHERE a.valid_to IS NOT NULL AND a.valid_to <= CAST(:on AS date) + :days
  AND coalesce(a.region_code, '') LIKE :scope || '%' AND (CAST(:layer AS text) IS NULL OR a.layer = :layer)
  AND (CAST(:family AS text) IS NULL OR r.family = :family)
  AND NOT EXISTS (SELECT 1 FROM assignments n JOIN owner_roles nr ON nr.code = n.role
                  WHERE n.layer = a.layer AND n.feature_id = a.feature_id AND nr.family = r.family
                  AND n.id <> a.id AND n.valid_from <= a.valid_to
                  AND (n.valid_to IS NULL OR n.valid_to > a.valid_to))
ORDER BY a.valid_to, a.id LIMIT :limit
