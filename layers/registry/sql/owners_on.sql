-- Who owned a feature (layer l, feature_id f) on the day `on`, primary roles first.
SELECT a.id, a.role, r.name AS role_name, r.family, r.is_primary, a.layer, a.feature_id, a.region_code,
       a.person_id, p.name AS person_name, p.phone AS person_phone, a.unit_id, u.name AS unit_name,
       u.phone AS unit_phone, a.valid_from, a.valid_to, a.street_group, a.note, r.patrol_every_days
FROM assignments a JOIN owner_roles r ON r.code = a.role
LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
WHERE a.layer = :l AND a.feature_id = :f AND a.valid_from <= :on AND (a.valid_to IS NULL OR a.valid_to > :on)
ORDER BY r.sort, a.id
