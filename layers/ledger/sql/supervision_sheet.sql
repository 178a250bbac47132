-- The 督导单 (layers/ledger/ledgers.py:supervision_sheet): the open first reports in `scope` that the person (:pid)
-- or unit (:uid) answers for — as an owner of their places, or (a department) as 主办/协办 — once each, overdue
-- first, one page (:limit, NULL for all; :offset) with the totals of all beside each row.
--
-- The busiest person of a city answers for ~190,000 reports: they are sorted and counted on their keys alone,
-- and only the page's rows are looked up for their names (looking up every row first took ~3 s).
WITH mine AS (  -- with the report's time: each problem is then one probe into its month, not one per month
    SELECT po.problem_id, po.problem_reported_at, r.name AS role_name FROM problem_owners po
    JOIN assignments a ON a.id = po.assignment_id JOIN owner_roles r ON r.code = a.role
    WHERE a.person_id IS NOT DISTINCT FROM CAST(:pid AS int) AND a.unit_id IS NOT DISTINCT FROM CAST(:uid AS int)
    UNION ALL
    SELECT pd.problem_id, pd.problem_reported_at, CASE pd.duty WHEN 'lead' THEN '主办部门' ELSE '协办部门' END
    FROM problem_departments pd WHERE pd.unit_id = CAST(:uid AS int)),
once AS (SELECT DISTINCT ON (problem_id) * FROM mine ORDER BY problem_id),
items AS (
    SELECT p.id, p.reported_at, p.due_at, coalesce(p.due_at < now(), false) AS overdue, m.role_name
    FROM once m JOIN problems p ON p.id = m.problem_id AND p.reported_at = m.problem_reported_at
    WHERE p.duplicate_of IS NULL AND p.status <> ALL(:final)
      AND (CAST(:scope AS text) IS NULL OR p.region_code LIKE :scope || '%')),
page AS (
    SELECT i.*, count(*) OVER () AS n_open, count(*) FILTER (WHERE i.overdue) OVER () AS n_overdue
    FROM items i ORDER BY i.overdue DESC, coalesce(i.due_at, i.reported_at), i.id
    LIMIT CAST(:limit AS bigint) OFFSET :offset)
SELECT g.id, c.name AS category,
       coalesce((SELECT name FROM streets WHERE id = p.street_id),
                (SELECT name FROM assessment_points WHERE id = p.point_id),
                (SELECT name FROM regions WHERE code = p.region_code)) AS place,
       p.address, p.description, g.reported_at, g.due_at, st.name AS status, g.overdue, g.role_name,
       g.n_open, g.n_overdue
FROM page g
JOIN problems p ON p.id = g.id AND p.reported_at = g.reported_at
JOIN problem_categories c ON c.code = p.category_code
JOIN problem_statuses st ON st.code = p.status
ORDER BY g.overdue DESC, coalesce(g.due_at, g.reported_at), g.id
