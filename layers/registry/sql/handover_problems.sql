-- The open problems owned through the assignments `ids` (what a handover with move_open_problems passes on).
SELECT DISTINCT ON (p.id) p.id, c.name AS category_name, p.status, st.name AS status_name, p.reported_at,
       p.due_at, coalesce(p.due_at < now(), false) AS overdue, po.place, a.layer, a.feature_id
FROM problem_owners po
JOIN assignments a ON a.id = po.assignment_id
JOIN problems p ON p.id = po.problem_id
JOIN problem_statuses st ON st.code = p.status AND NOT st.final
JOIN problem_categories c ON c.code = p.category_code
WHERE po.assignment_id = ANY(:ids)
ORDER BY p.id
