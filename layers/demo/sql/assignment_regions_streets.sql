-- Each demo assignment on streets takes its feature's region, for scoping.
UPDATE assignments a SET region_code = f.region_code FROM streets f
WHERE a.layer = 'streets' AND a.feature_id = f.id AND a.region_code IS NULL
