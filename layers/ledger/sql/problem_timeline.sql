-- Every problem_events row of one problem (inside the caller's region :s), oldest first, with the names a person
-- reads: the account that acted (and the person it was linked to), the statuses, whom a 派遣 dispatched to.
SELECT e.id, e.at, e.action, e.actor, e.note, e.photo_id, e.due_at,
       e.from_status, fs.name AS from_name, e.to_status, ts.name AS to_name,
       e.actor_user_id, u.display_name AS account_name, u.login AS account_login, ap.name AS actor_person_name,
       e.assignee_person_id, pp.name AS assignee_person_name, e.assignee_unit_id, un.name AS assignee_unit_name
FROM problem_events e
JOIN problems p ON p.id = e.problem_id
LEFT JOIN problem_statuses fs ON fs.code = e.from_status
LEFT JOIN problem_statuses ts ON ts.code = e.to_status
LEFT JOIN users u ON u.id = e.actor_user_id
LEFT JOIN people ap ON ap.id = e.actor_person_id
LEFT JOIN people pp ON pp.id = e.assignee_person_id
LEFT JOIN units un ON un.id = e.assignee_unit_id
WHERE e.problem_id = :i AND (CAST(:s AS text) IS NULL OR starts_with(p.region_code, :s))
ORDER BY e.id
