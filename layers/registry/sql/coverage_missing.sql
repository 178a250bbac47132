-- After coverage_status: each feature missing a required role, a page of them (offset, limit) in a stable order,
-- with the names of its 社区 and 街道 so a list can say where it is.
SELECT s.layer, s.id, s.code, s.name, s.kind, s.region_code, s.role_family,
       (SELECT string_agg(o.name, '/' ORDER BY o.sort) FROM owner_roles o WHERE o.family = s.role_family)
           AS role_names,
       (SELECT r.name FROM regions r WHERE r.code = left(s.region_code, 12) AND length(s.region_code) >= 12)
           AS community_name,
       (SELECT r.name FROM regions r WHERE r.code = left(s.region_code, 9) AND length(s.region_code) >= 9)
           AS subdistrict_name
FROM status s WHERE NOT s.covered ORDER BY s.layer, s.region_code, s.code, s.id, s.role_family
LIMIT :limit OFFSET :offset
