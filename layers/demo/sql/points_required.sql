-- The demo district's assessment points with the role families and roles their type's active coverage rules ask
-- for (layers/demo/owners.py:_points); roles are the point roles of those families.
SELECT ap.id, ap.point_type, ap.region_code,
       coalesce(array_agg(DISTINCT r.role_family) FILTER (WHERE r.id IS NOT NULL), '{}') AS families,
       coalesce(array_agg(DISTINCT o.code) FILTER (WHERE o.code IS NOT NULL), '{}') AS roles
FROM assessment_points ap
LEFT JOIN coverage_rules r ON r.active AND r.layer = 'assessment_points' AND r.filter_column = 'point_type'
     AND r.filter_value = ap.point_type
LEFT JOIN owner_roles o ON o.family = r.role_family AND 'assessment_points' = ANY(o.layers) AND o.holder = 'person'
WHERE ap.district_code = :d
GROUP BY ap.id, ap.point_type, ap.region_code
ORDER BY ap.id
