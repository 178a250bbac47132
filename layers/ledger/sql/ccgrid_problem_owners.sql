-- A problem's owners as the JSON array the API sends (layers/ledger/sql/ccgrid_problem_json.sql): the owners of
-- its places as routed (problem_owners), then its departments (主办, 协办: problem_departments). `p_c`: with their
-- phones (roles that see personal data). PL/pgSQL, so its plan is kept for the session as the caller's is.
CREATE OR REPLACE FUNCTION ccgrid_problem_owners(p_id bigint, p_at timestamptz, p_c boolean)
RETURNS json LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    RETURN (SELECT coalesce(json_agg(o.owner ORDER BY o.sort, o.id), '[]') FROM (
    SELECT json_build_object(
               'place', po.place, 'role', a.role, 'role_name', r.name,
               'holder', coalesce(pp.name, u.name),
               'phone', CASE WHEN p_c THEN coalesce(pp.phone, u.phone) END, 'person_id', a.person_id,
               'unit_id', a.unit_id) AS owner, r.sort, a.id
    FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id
    JOIN owner_roles r ON r.code = a.role
    LEFT JOIN people pp ON pp.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
    WHERE po.problem_id = p_id
    UNION ALL  -- its departments (主办, 协办) after the owners of its places
    SELECT json_build_object(
               'place', 'department', 'role', 'department_' || pd.duty,
               'role_name', CASE pd.duty WHEN 'lead' THEN '主办部门' ELSE '协办部门' END,
               'holder', du.name, 'phone', CASE WHEN p_c THEN coalesce(du.phone, head.phone) END, 'person_id', NULL,
               'unit_id', pd.unit_id), 100000 + (pd.duty <> 'lead')::int, pd.unit_id
    FROM problem_departments pd JOIN units du ON du.id = pd.unit_id
    LEFT JOIN people head ON head.id = du.head_person_id  -- no phone of its own: its head's
    WHERE pd.problem_id = p_id AND pd.problem_reported_at = p_at) o);
END
$fn$
