-- The overdue list of a 通报: open problems inside `scope` still with their owners (:pending) and past their
-- deadline at :at (when it is published), the most overdue first, with their 街道/社区, 主办 department and
-- primary owners as routed; `total` counts them all, the rows stop at :limit.
SELECT p.id AS problem_id, c.name AS category, st.name AS status, p.reported_at, p.due_at,
       floor(extract(epoch FROM (CAST(:at AS timestamptz) - p.due_at)) / 86400)::int AS days_overdue,
       coalesce((SELECT name FROM streets WHERE id = p.street_id),
                (SELECT name FROM assessment_points WHERE id = p.point_id),
                cm.name, sd.name) AS place,
       sd.name AS subdistrict, cm.name AS community,
       (SELECT string_agg(du.name, '、' ORDER BY du.name) FROM problem_departments pd
        JOIN units du ON du.id = pd.unit_id
        WHERE pd.problem_id = p.id AND pd.problem_reported_at = p.reported_at AND pd.duty = 'lead') AS department,
       (SELECT string_agg(DISTINCT coalesce(pp.name, u.name), '、') FROM problem_owners po
        JOIN assignments a ON a.id = po.assignment_id JOIN owner_roles r ON r.code = a.role AND r.is_primary
        LEFT JOIN people pp ON pp.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
        WHERE po.problem_id = p.id) AS owners,
       count(*) OVER () AS total
FROM problems p
JOIN problem_categories c ON c.code = p.category_code
JOIN problem_statuses st ON st.code = p.status
LEFT JOIN regions sd ON sd.code = left(p.region_code, 9) AND sd.level = 'subdistrict'
LEFT JOIN regions cm ON cm.code = left(p.region_code, 12) AND cm.level = 'community'
WHERE p.status = ANY(:pending) AND p.due_at < :at AND p.duplicate_of IS NULL
  AND coalesce(p.region_code, '') LIKE :scope || '%'
ORDER BY p.due_at, p.id
LIMIT :limit
