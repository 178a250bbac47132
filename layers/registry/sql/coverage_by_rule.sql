-- After coverage_status: required and covered features per rule, with the Chinese names of the family's roles
-- (e.g. 市级街长/区级街长/街道级街长).
SELECT rl.id AS rule_id, rl.layer, rl.filter_value AS kind, rl.role_family,
       (SELECT string_agg(o.name, '/' ORDER BY o.sort) FROM owner_roles o WHERE o.family = rl.role_family)
           AS role_names,
       count(s.id) AS required, count(s.id) FILTER (WHERE s.covered) AS covered
FROM rules rl LEFT JOIN status s ON s.rule_id = rl.id
GROUP BY rl.id, rl.layer, rl.filter_value, rl.role_family ORDER BY rl.id
