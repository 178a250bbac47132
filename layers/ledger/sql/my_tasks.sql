-- A person's open problems (not 销号 or 不予立案): owned through their assignments or their unit's, or
-- dispatched to them or their unit by the latest 派遣. Soonest deadline first; each with its place, photos and
-- the hours left (negative when overdue).
WITH dispatched AS (
    SELECT DISTINCT ON (e.problem_id) e.problem_id, e.assignee_person_id, e.assignee_unit_id
    FROM problem_events e
    WHERE e.action = '派遣' AND (e.assignee_person_id = :pid
                                  OR e.assignee_unit_id = (SELECT unit_id FROM people WHERE id = :pid))
    ORDER BY e.problem_id, e.id DESC
),
ids AS (
    SELECT po.problem_id AS id FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id
    WHERE a.person_id = :pid OR a.unit_id = (SELECT unit_id FROM people WHERE id = :pid)
    UNION
    SELECT problem_id FROM dispatched
)
SELECT p.id, p.category_code, c.name AS category_name, p.status, st.name AS status_name, p.source,
       p.description, p.address, p.reported_at, p.due_at,
       (p.status = ANY(:pending) AND p.due_at < now()) AS overdue,
       round(extract(epoch FROM (p.due_at - now())) / 3600.0, 1)::float AS hours_left,
       ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
       coalesce(pt.name, s.name, g.code, r.name) AS place,
       coalesce((SELECT array_agg(ph.id ORDER BY ph.id) FROM problem_photos ph WHERE ph.problem_id = p.id),
                '{}') AS photo_ids
FROM ids JOIN problems p ON p.id = ids.id
JOIN problem_categories c ON c.code = p.category_code
JOIN problem_statuses st ON st.code = p.status
LEFT JOIN assessment_points pt ON pt.id = p.point_id
LEFT JOIN streets s ON s.id = p.street_id
LEFT JOIN grid_cells g ON g.id = p.grid_cell_id
LEFT JOIN regions r ON r.code = p.region_code
WHERE p.status <> ALL(:final) AND (CAST(:scope AS text) IS NULL OR p.region_code LIKE :scope || '%')
ORDER BY p.due_at NULLS LAST, p.id
LIMIT :limit
