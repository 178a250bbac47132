-- Each department a problem was routed to as 主办 (lead) answers for it (协办 only assists).
SELECT 'unit:' || pd.unit_id AS key, u.name AS name, f.*
FROM facts f
JOIN problem_departments pd ON pd.problem_id = f.id AND pd.duty = 'lead'
JOIN units u ON u.id = pd.unit_id
