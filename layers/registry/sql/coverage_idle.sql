-- Active people with no assignment on the day `on`.
SELECT p.id, p.name, u.name AS unit_name, p.region_code FROM people p LEFT JOIN units u ON u.id = p.unit_id
WHERE p.active AND coalesce(p.region_code, '') LIKE :scope || '%'
  AND NOT EXISTS (SELECT 1 FROM assignments_on(:on) a WHERE a.person_id = p.id)
ORDER BY p.id LIMIT :limit
