-- After coverage_status: the missing roles per 街道 (9 digits) and 社区 (12 digits), one row per region and role
-- family with at least one gap (e.g. 411421001 · grid_worker · 3: three cells of that 街道 without a 网格员).
, per AS (
    SELECT left(region_code, 9) AS code, role_family, count(*) AS missing
    FROM status WHERE NOT covered AND length(region_code) >= 9 GROUP BY 1, 2
    UNION ALL
    SELECT left(region_code, 12), role_family, count(*)
    FROM status WHERE NOT covered AND length(region_code) >= 12 GROUP BY 1, 2)
SELECT p.code, p.role_family,
       (SELECT string_agg(o.name, '/' ORDER BY o.sort) FROM owner_roles o WHERE o.family = p.role_family)
           AS role_names,
       p.missing
FROM per p ORDER BY p.code, p.missing DESC, p.role_family
