-- The open problems routed to places of one layer (streets: street_id, grid_cells: grid_cell_id,
-- assessment_points: point_id), soonest due first; duplicates are counted with their master, not listed.
SELECT p.id, c.name AS category_name, p.status, st.name AS status_name, p.reported_at, p.due_at,
       coalesce(p.due_at < now(), false) AS overdue, p.description, p.street_id, p.grid_cell_id, p.point_id
FROM problems p
JOIN problem_statuses st ON st.code = p.status AND NOT st.final
JOIN problem_categories c ON c.code = p.category_code
WHERE p.duplicate_of IS NULL
  AND CASE CAST(:layer AS text) WHEN 'streets' THEN p.street_id = ANY(:ids)
                                WHEN 'grid_cells' THEN p.grid_cell_id = ANY(:ids)
                                WHEN 'assessment_points' THEN p.point_id = ANY(:ids) ELSE false END
ORDER BY p.due_at NULLS LAST, p.id
LIMIT :limit
