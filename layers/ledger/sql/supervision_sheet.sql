-- The 督导单's problems (layers/ledger/ledgers.py:supervision_sheet): the open first reports in `scope` that the
-- person (:pid) or unit (:uid) answers for — as an owner of their places, or (a department) as 主办/协办 — once
-- each, as the CTE `items`; the caller appends the totals or one page, overdue first.
WITH mine AS (
    SELECT po.problem_id, r.name AS role_name FROM problem_owners po
    JOIN assignments a ON a.id = po.assignment_id JOIN owner_roles r ON r.code = a.role
    WHERE a.person_id IS NOT DISTINCT FROM CAST(:pid AS int) AND a.unit_id IS NOT DISTINCT FROM CAST(:uid AS int)
    UNION ALL
    SELECT pd.problem_id, CASE pd.duty WHEN 'lead' THEN '主办部门' ELSE '协办部门' END
    FROM problem_departments pd WHERE pd.unit_id = CAST(:uid AS int)),
items AS (
    SELECT DISTINCT ON (p.id) p.id, c.name AS category, coalesce(s.name, ap.name, g.name) AS place,
           p.address, p.description, p.reported_at, p.due_at, st.name AS status,
           coalesce(p.due_at < now(), false) AS overdue, m.role_name
    FROM mine m
    JOIN problems p ON p.id = m.problem_id JOIN problem_statuses st ON st.code = p.status AND NOT st.final
    JOIN problem_categories c ON c.code = p.category_code
    LEFT JOIN streets s ON s.id = p.street_id LEFT JOIN assessment_points ap ON ap.id = p.point_id
    LEFT JOIN regions g ON g.code = p.region_code
    WHERE p.duplicate_of IS NULL
      AND (CAST(:scope AS text) IS NULL OR p.region_code LIKE :scope || '%')
    ORDER BY p.id)
