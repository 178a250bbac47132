-- Assignments in the caller's region, each filter applying only when given, with the place's code and name.
SELECT a.id, a.role, r.name AS role_name, r.family, r.is_primary, a.layer, a.feature_id, a.region_code,
       a.person_id, p.name AS person_name, p.phone AS person_phone, a.unit_id, u.name AS unit_name,
       u.phone AS unit_phone, a.valid_from, a.valid_to, a.street_group, a.note, r.patrol_every_days,
       f.code AS place_code, f.name AS place_name
FROM assignments a JOIN owner_roles r ON r.code = a.role
LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
LEFT JOIN ownable_features f ON f.layer = a.layer AND f.id = a.feature_id
WHERE (CAST(:s AS text) IS NULL OR a.region_code LIKE :s || '%')
  AND (CAST(:pid AS int) IS NULL OR a.person_id = :pid)
  AND (CAST(:uid AS int) IS NULL OR a.unit_id = :uid)
  AND (CAST(:layer AS text) IS NULL OR a.layer = :layer)
  AND (CAST(:role AS text) IS NULL OR a.role = :role OR r.family = :role)
  AND (CAST(:on AS date) IS NULL OR (a.valid_from <= :on AND (a.valid_to IS NULL OR a.valid_to > :on)))
ORDER BY a.id LIMIT :limit OFFSET :offset
