-- People in the caller's region s, by name fragment q, phone fragment ph (only for callers who see phones),
-- unit u, region r and active flag a when given.
SELECT p.id, p.name, p.phone, p.title, p.region_code, p.active, p.unit_id, u.name AS unit_name,
       p.reports_to_id, b.name AS reports_to_name,
       (SELECT count(*) FROM assignments_on(current_date) a WHERE a.person_id = p.id
          AND (CAST(:s AS text) IS NULL OR a.region_code LIKE :s || '%')) AS current_assignments
FROM people p LEFT JOIN units u ON u.id = p.unit_id LEFT JOIN people b ON b.id = p.reports_to_id
WHERE (CAST(:s AS text) IS NULL OR p.region_code LIKE :s || '%')
  AND (CAST(:q AS text) IS NULL OR p.name LIKE '%' || :q || '%')
  AND (CAST(:ph AS text) IS NULL OR p.phone LIKE '%' || :ph || '%')
  AND (CAST(:u AS int) IS NULL OR p.unit_id = :u)
  AND (CAST(:r AS text) IS NULL OR p.region_code LIKE :r || '%')
  AND (CAST(:a AS boolean) IS NULL OR p.active = :a) ORDER BY p.id LIMIT :l OFFSET :o
