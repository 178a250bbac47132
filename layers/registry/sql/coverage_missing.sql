-- After coverage_status: each feature missing a required role.
SELECT s.layer, s.id, s.code, s.name, s.kind, s.region_code, s.role_family,
       (SELECT string_agg(o.name, '/' ORDER BY o.sort) FROM owner_roles o WHERE o.family = s.role_family)
           AS role_names
FROM status s WHERE NOT s.covered ORDER BY s.layer, s.region_code, s.code LIMIT :limit
