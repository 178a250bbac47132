-- Every community with its area and the metres of street in it.
SELECT r.code AS key, r.code, r.name, r.code AS region_code, ST_Area(r.geom_m) AS area_m2,
       r.geom, (SELECT coalesce(sum(s.length_m), 0) FROM streets s
                WHERE s.region_code LIKE r.code || '%') AS street_m
FROM regions r WHERE r.level = 'community'
