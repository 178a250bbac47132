-- Each owner (person or unit) with what they answer for: km of street and assessment points assigned today.
SELECT coalesce('person:' || a.person_id, 'unit:' || a.unit_id) AS key,
       min(coalesce(pp.name, u.name)) AS name, coalesce(sum(s.length_m), 0) / 1000 AS street_km,
       count(*) FILTER (WHERE a.layer = 'assessment_points') AS points
FROM assignments_on(current_date) a LEFT JOIN streets s ON a.layer = 'streets' AND s.id = a.feature_id
LEFT JOIN people pp ON pp.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
WHERE coalesce(a.region_code, '') LIKE :scope || '%' GROUP BY 1
