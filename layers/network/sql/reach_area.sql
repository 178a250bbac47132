-- The part of the network a question can touch: the view (or the region's extent) grown by the farthest walk and
-- the longest way onto a street. A walk of d metres never leaves the circle of d around its end, so the answer
-- inside the view is exact; NULL (the whole city) when neither is given.
CREATE TEMP TABLE reach_area ON COMMIT DROP AS
WITH view AS (
    SELECT CASE WHEN CAST(:x0 AS float8) IS NOT NULL
                THEN ST_Transform(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490), ccgrid_metric_srid()) END AS g),
region AS (
    SELECT CASE WHEN :scope <> '' THEN (SELECT ST_SetSRID(ST_Extent(geom_m)::geometry, ccgrid_metric_srid())
                                        FROM regions WHERE code LIKE :scope || '%') END AS g)
SELECT ST_Expand(CASE WHEN view.g IS NOT NULL AND region.g IS NOT NULL THEN ST_Intersection(view.g, region.g)
                      ELSE coalesce(view.g, region.g) END, :reach) AS env,
       view.g AS view_m
FROM view, region
