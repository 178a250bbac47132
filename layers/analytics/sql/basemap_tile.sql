-- One tile of the offline reference basemap: the city's streets as lines with their road class only (a page
-- styles them by class). Below z14 the main roads (arterial, secondary) alone: a district's thousands of lanes at
-- z11 would weigh a megabyte per tile and read as a grey carpet.
WITH bounds AS ({bounds}),
mvt AS (
    SELECT ST_AsMVTGeom(ST_Transform(t.geom, 3857), bounds.merc, {extent}, {buffer}, true) AS geom, t.road_class
    FROM streets t, bounds
    WHERE t.geom && bounds.env AND t.region_code LIKE :scope || '%'
      AND (:z >= 14 OR t.road_class IN ('arterial', 'secondary'))
    LIMIT :cap)
SELECT ST_AsMVT(mvt, 'basemap', {extent}, 'geom') FROM mvt WHERE geom IS NOT NULL
