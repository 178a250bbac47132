-- Each demo assignment on regions takes its feature's region, for scoping.
UPDATE assignments a SET region_code = f.code FROM regions f
WHERE a.layer = 'regions' AND a.feature_id = f.id AND a.region_code IS NULL
