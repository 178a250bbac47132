-- Each primary owner a problem was routed to answers for it.
SELECT coalesce('person:' || a.person_id, 'unit:' || a.unit_id) AS key, coalesce(pp.name, u.name) AS name, f.*
FROM facts f
JOIN (SELECT DISTINCT po.problem_id, a2.person_id, a2.unit_id FROM problem_owners po
      JOIN assignments a2 ON a2.id = po.assignment_id
      JOIN owner_roles r ON r.code = a2.role AND r.is_primary) a ON a.problem_id = f.id
LEFT JOIN people pp ON pp.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
