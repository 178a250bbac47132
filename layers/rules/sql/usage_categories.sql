-- What names problem category :code (each a (what, n) row; reports are counted up to 1000, an index probe each).
SELECT 'problems' AS what, (SELECT count(*) FROM (SELECT 1 FROM problems WHERE category_code = :code LIMIT 1000) x) AS n
UNION ALL SELECT 'small classes', count(*) FROM problem_categories WHERE parent_code = :code
UNION ALL SELECT 'checklist items', count(*) FROM checklist_items WHERE category_code = :code
UNION ALL SELECT 'department rules', count(*) FROM department_rules WHERE category_code = :code
