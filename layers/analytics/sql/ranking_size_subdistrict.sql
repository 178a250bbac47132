-- Each 街道 in scope with what it answers for: km of street and assessment points in it.
SELECT r.code AS key, r.name,
       (SELECT coalesce(sum(length_m), 0) FROM streets WHERE region_code LIKE r.code || '%') / 1000 AS street_km,
       (SELECT count(*) FROM assessment_points WHERE region_code LIKE r.code || '%') AS points
FROM regions r WHERE r.level = 'subdistrict' AND r.code LIKE :scope || '%'
