-- The coverage rules that apply to one feature (layer :layer, id :id) and how it meets each on the day :on: who
-- holds the rule's role family, and how many distinct holders of a primary role there are (one allowed when the
-- rule is exclusive; 交叉 shown otherwise).
SELECT rl.id AS rule_id, rl.role_family, rl.exclusive, rl.filter_value,
       (SELECT string_agg(o.name, '/' ORDER BY o.sort) FROM owner_roles o WHERE o.family = rl.role_family)
           AS role_names,
       count(a.id)::int AS holders,
       count(DISTINCT coalesce('p' || a.person_id, 'u' || a.unit_id)) FILTER (WHERE r.is_primary)::int
           AS primary_holders,
       string_agg(coalesce(p.name, u.name) || '（' || r.name || '）', '、' ORDER BY r.sort, a.id) AS holder_names
FROM ownable_features f
JOIN coverage_rules rl ON rl.active AND rl.layer = f.layer AND (rl.filter_value IS NULL OR rl.filter_value = f.kind)
LEFT JOIN (assignments_on(:on) a JOIN owner_roles r ON r.code = a.role)
       ON a.layer = f.layer AND a.feature_id = f.id AND r.family = rl.role_family
LEFT JOIN people p ON p.id = a.person_id
LEFT JOIN units u ON u.id = a.unit_id
WHERE f.layer = :layer AND f.id = :id
GROUP BY rl.id, rl.role_family, rl.exclusive, rl.filter_value
ORDER BY rl.id
