-- One department's rules (layers/registry/departments.py:duties), active first, by category.
SELECT d.id, d.category_code, coalesce(pc.name || ' / ', '') || c.name AS category_name, d.duty, d.point_type,
       d.road_class, d.active, d.note
FROM department_rules d
LEFT JOIN problem_categories c ON c.code = d.category_code
LEFT JOIN problem_categories pc ON pc.code = c.parent_code
WHERE d.unit_id = :u
ORDER BY d.active DESC, d.category_code NULLS LAST, d.point_type NULLS LAST, d.id
