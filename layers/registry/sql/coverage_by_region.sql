-- After coverage_status: required and covered per 街道 (9 digits) and 社区 (12 digits).
, per AS (
    SELECT left(region_code, 9) AS code, count(*) AS required, count(*) FILTER (WHERE covered) AS covered
    FROM status WHERE length(region_code) >= 9 GROUP BY 1
    UNION ALL
    SELECT left(region_code, 12), count(*), count(*) FILTER (WHERE covered)
    FROM status WHERE length(region_code) >= 12 GROUP BY 1)
SELECT r.code, r.name, r.level, p.required, p.covered FROM per p JOIN regions r ON r.code = p.code
ORDER BY r.code
