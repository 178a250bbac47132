-- The 通报 in force for the periods the 负面清单 compares (this one and the one before), that a caller of
-- `scope` may read, with the 黑榜 of each board: (notice, period, scope, level, level name, key, name).
SELECT n.id, n.number, n.period, n.scope, b ->> 'level' AS level, b ->> 'level_name' AS level_name,
       r ->> 'key' AS key, r ->> 'name' AS name
FROM notices n
CROSS JOIN LATERAL jsonb_array_elements(n.snapshot -> 'boards') b
CROSS JOIN LATERAL jsonb_array_elements(b -> 'rows') r
WHERE n.state = 'published' AND n.period = ANY(:periods)
  AND (CAST(:scope AS text) IS NULL OR n.scope IS NULL OR starts_with(n.scope, :scope)
       OR starts_with(:scope, n.scope))
  AND r ->> 'board' = 'black'
ORDER BY n.id, b ->> 'level', r ->> 'key'
