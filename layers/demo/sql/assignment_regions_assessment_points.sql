-- Each demo assignment on assessment_points takes its feature's region, for scoping.
UPDATE assignments a SET region_code = f.region_code FROM assessment_points f
WHERE a.layer = 'assessment_points' AND a.feature_id = f.id AND a.region_code IS NULL
