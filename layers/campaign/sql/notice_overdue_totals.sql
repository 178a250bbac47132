-- The overdue problems of a 通报 per 街道 (all of them, not only the listed ones), the most first.
SELECT coalesce(sd.name, '（未落到街道）') AS subdistrict, count(*) AS problems,
       max(floor(extract(epoch FROM (CAST(:at AS timestamptz) - p.due_at)) / 86400))::int AS most_days
FROM problems p
LEFT JOIN regions sd ON sd.code = left(p.region_code, 9) AND sd.level = 'subdistrict'
WHERE p.status = ANY(:pending) AND p.due_at < :at AND p.duplicate_of IS NULL
  AND coalesce(p.region_code, '') LIKE :scope || '%'
GROUP BY sd.name
ORDER BY count(*) DESC, sd.name
