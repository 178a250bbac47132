-- The sample roster's places (layers/registry/roster.py:sample_roster): the first street name of the area with
-- no 路长 on any segment, a grid cell without its 网格员, an assessment point without a 责任单位.
WITH held AS (SELECT layer, feature_id, role FROM assignments_on(current_date))
SELECT (SELECT name FROM streets t WHERE name IS NOT NULL AND region_code LIKE :s || '%'
          AND NOT EXISTS (SELECT 1 FROM streets u JOIN held h ON h.layer = 'streets' AND h.feature_id = u.id
                          AND h.role = 'road_chief' WHERE u.name = t.name)
        ORDER BY id LIMIT 1),
       (SELECT code FROM grid_cells g WHERE region_code LIKE :s || '%' AND NOT EXISTS (
          SELECT 1 FROM held h WHERE h.layer = 'grid_cells' AND h.feature_id = g.id AND h.role = 'grid_worker')
        ORDER BY id LIMIT 1),
       (SELECT code FROM assessment_points a WHERE region_code LIKE :s || '%' AND NOT EXISTS (
          SELECT 1 FROM held h WHERE h.layer = 'assessment_points' AND h.feature_id = a.id
            AND h.role = 'responsible_unit')
        ORDER BY id LIMIT 1)
