-- What names department rule :id: the problems routed by it (their departments are a snapshot naming the rule).
SELECT 'routed problems' AS what, count(*) AS n FROM problem_departments WHERE rule_id = :id
