-- The 责任清单: one row per owner × place on the day `on`, inside the scope, by holder.
SELECT coalesce(p.name, u.name) AS holder, r.name AS role_name, a.layer, f.code, f.name,
       CASE WHEN f.section_from IS NOT NULL THEN f.section_from || '—' || f.section_to END AS section,
       g.name AS region_name, r.patrol_every_days, coalesce(p.phone, u.phone) AS phone,
       a.valid_from, a.valid_to
FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role
JOIN ownable_features f ON f.layer = a.layer AND f.id = a.feature_id
LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
LEFT JOIN regions g ON g.code = a.region_code
WHERE coalesce(a.region_code, '') LIKE :scope || '%'
ORDER BY holder, r.sort, a.layer, f.code
