-- Each demo assignment on grid_cells takes its feature's region, for scoping.
UPDATE assignments a SET region_code = f.region_code FROM grid_cells f
WHERE a.layer = 'grid_cells' AND a.feature_id = f.id AND a.region_code IS NULL
