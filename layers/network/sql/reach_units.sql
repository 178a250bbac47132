-- What is judged inside or outside reach: every grid cell of the region (in view), and a community with no cells
-- as a whole.
CREATE TEMP TABLE reach_units ON COMMIT DROP AS
SELECT 'grid_cells'::text AS layer, c.id, c.code, NULL::text AS name, c.region_code AS community, c.area_m2,
       c.updated_at AS stamp
FROM grid_cells c
WHERE c.region_code LIKE :scope || '%'
  AND ((SELECT view_m FROM reach_area) IS NULL OR c.geom_m && (SELECT view_m FROM reach_area))
UNION ALL
SELECT 'regions', r.id, r.code, r.name, r.code, ST_Area(r.geom_m), r.updated_at
FROM regions r
WHERE r.level = 'community' AND r.code LIKE :scope || '%'
  AND ((SELECT view_m FROM reach_area) IS NULL OR r.geom_m && (SELECT view_m FROM reach_area))
  AND NOT EXISTS (SELECT 1 FROM grid_cells c WHERE c.community_id = r.id)
