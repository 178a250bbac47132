-- What a handover moves: the assignments the old holder (person pid or unit uid) holds on the day `on`, inside the
-- caller's scope, optionally narrowed to a layer, some features and a role; each with its place and how many open
-- problems are owned through it.
SELECT a.id, a.role, r.name AS role_name, a.layer, a.feature_id, f.code, f.name, f.kind, a.region_code,
       a.valid_from, a.valid_to, a.street_group,
       (SELECT count(*) FROM problem_owners po JOIN problems p ON p.id = po.problem_id
        JOIN problem_statuses st ON st.code = p.status AND NOT st.final
        WHERE po.assignment_id = a.id)::int AS open_problems
FROM assignments_on(:on) a
JOIN owner_roles r ON r.code = a.role
JOIN ownable_features f ON f.layer = a.layer AND f.id = a.feature_id
WHERE a.person_id IS NOT DISTINCT FROM :pid AND a.unit_id IS NOT DISTINCT FROM :uid
  AND coalesce(a.region_code, '') LIKE coalesce(CAST(:s AS text), '') || '%'
  AND (CAST(:layer AS text) IS NULL OR a.layer = :layer)
  AND (CAST(:ids AS int[]) IS NULL OR a.feature_id = ANY(:ids))
  AND (CAST(:role AS text) IS NULL OR a.role = :role)
ORDER BY a.layer, f.code, r.sort, a.id
