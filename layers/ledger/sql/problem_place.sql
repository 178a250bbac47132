-- Where one problem lies, for its page: the 区/街道/社区 names of its region code, and the point, grid cell,
-- street segment and assessment point it was routed to, each as GeoJSON (CGCS2000 lon/lat, 6 decimals ≈ 0.1 m).
-- No row when the problem is missing or outside the caller's region :s.
SELECT p.id, p.region_code,
       d.name AS district_name, sd.name AS subdistrict_name, c.name AS community_name,
       ST_AsGeoJSON(p.geom, 6) AS point_geojson,
       g.code AS cell_code, ST_AsGeoJSON(g.geom, 6) AS cell_geojson,
       s.code AS street_code, s.name AS street_name, s.road_class, s.section_from, s.section_to,
       ST_AsGeoJSON(s.geom, 6) AS street_geojson,
       ap.code AS point_code, ap.name AS point_name, ap.point_type, ST_AsGeoJSON(ap.geom, 6) AS point_place_geojson
FROM problems p
LEFT JOIN regions d ON d.code = left(p.region_code, 6) AND d.level = 'district'
LEFT JOIN regions sd ON sd.code = left(p.region_code, 9) AND sd.level = 'subdistrict'
LEFT JOIN regions c ON c.code = p.region_code AND c.level = 'community'
LEFT JOIN grid_cells g ON g.id = p.grid_cell_id
LEFT JOIN streets s ON s.id = p.street_id
LEFT JOIN assessment_points ap ON ap.id = p.point_id
WHERE p.id = :i AND (CAST(:s AS text) IS NULL OR starts_with(p.region_code, :s))
