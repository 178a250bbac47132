-- One person with their unit, boss and count of current assignments inside the caller's region s.
SELECT p.id, p.name, p.phone, p.title, p.region_code, p.active, p.unit_id, u.name AS unit_name,
       p.reports_to_id, b.name AS reports_to_name,
       (SELECT count(*) FROM assignments_on(current_date) a WHERE a.person_id = p.id
          AND (CAST(:s AS text) IS NULL OR a.region_code LIKE :s || '%')) AS current_assignments
FROM people p LEFT JOIN units u ON u.id = p.unit_id LEFT JOIN people b ON b.id = p.reports_to_id
WHERE p.id = :i
