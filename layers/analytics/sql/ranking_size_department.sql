-- Each active department (职能部门): what it answers for is its categories, not streets or points, so no sizes; the
-- row names a department that had nothing dispatched in the period. Departments serve the whole city, so every
-- caller's ranking lists all of them.
SELECT 'unit:' || id AS key, name, 0 AS street_km, 0 AS points FROM units
WHERE kind = 'department' AND active
