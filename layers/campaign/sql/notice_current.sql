-- The 通报 in force for a period and scope (published, not withdrawn): one at a time.
SELECT id, number FROM notices
WHERE period = :period AND scope IS NOT DISTINCT FROM CAST(:scope AS varchar) AND state = 'published'
ORDER BY id LIMIT 1
