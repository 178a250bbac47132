-- Parts of each community beyond walking reach of every facility of the type (straight-line buffers).
WITH reach AS (
    SELECT ST_Union(ST_Buffer(geom_m, :walk, 16)) AS geom FROM assessment_points WHERE point_type = :facility),
pieces AS (
    SELECT r.code, r.name, (ST_Dump(CASE WHEN reach.geom IS NULL THEN r.geom_m
                                     ELSE ST_Difference(r.geom_m, reach.geom) END)).geom AS geom
    FROM regions r, reach WHERE r.level = 'community' AND r.code LIKE :scope || '%'
      AND (CAST(:x0 AS float8) IS NULL OR r.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)))
SELECT code AS region_code, name, :facility AS facility, :walk AS walk_m,
       round(ST_Area(geom)::numeric, 1)::float AS area_m2, ST_AsGeoJSON(ST_Transform(geom, 4490), 6, 0) AS g
FROM pieces WHERE ST_Area(geom) >= :min_area ORDER BY ST_Area(geom) DESC LIMIT :limit
