-- Where demo problems cluster: markets, old estates and schools, arterials, and a thin background along streets of
-- the county town (codes 4114210…).
SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), point_type FROM assessment_points
WHERE point_type IN ('农贸市场', '老旧小区', '学校周边', '中小学校') AND region_code LIKE '411421%'
UNION ALL
SELECT ST_X(ST_LineInterpolatePoint(geom, 0.5)), ST_Y(ST_LineInterpolatePoint(geom, 0.5)), 'arterial'
FROM streets WHERE road_class = 'arterial' AND region_code LIKE '411421%' AND length(region_code) = 12
  AND left(region_code, 7) = '4114210'
UNION ALL
SELECT ST_X(ST_LineInterpolatePoint(geom, 0.5)), ST_Y(ST_LineInterpolatePoint(geom, 0.5)), 'street'
FROM streets WHERE road_class <> 'arterial' AND region_code LIKE '411421%' AND length(region_code) = 12
  AND left(region_code, 7) = '4114210'
