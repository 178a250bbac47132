-- Each first demo report with its category's deadline, to walk it to a plausible state.
SELECT p.id, p.reported_at, c.deadline_amount, c.deadline_unit FROM problems p
JOIN problem_categories c ON c.code = p.category_code
WHERE p.external_id LIKE 'DEMO-%' AND p.duplicate_of IS NULL ORDER BY p.id
