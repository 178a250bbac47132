-- Where the parties of the 负面清单 lie (region codes), to keep a scoped caller's list inside their region and to
-- name each one's 街道: people and units by key (person:<id>, unit:<id>), regions by code.
SELECT k AS key, coalesce(p.region_code, u.region_code, r.code) AS region_code, sd.name AS subdistrict
FROM unnest(CAST(:keys AS text[])) k
LEFT JOIN people p ON k LIKE 'person:%' AND p.id = CAST(substring(k FROM '^person:([0-9]{1,9})$') AS int)
LEFT JOIN units u ON k LIKE 'unit:%' AND u.id = CAST(substring(k FROM '^unit:([0-9]{1,9})$') AS int)
LEFT JOIN regions r ON r.code = k
LEFT JOIN regions sd ON sd.code = left(coalesce(p.region_code, u.region_code, r.code), 9) AND sd.level = 'subdistrict'
