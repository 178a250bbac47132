-- The tail of every heatmap statement: wraps `cells` (rows with key, g, n and a `props` json) into the answer.
-- size is the hexagon edge or square side in metres, NULL for grid cells and communities. clipped: the counts are of
-- the reports inside the bbox only (else of each cell whole), so a link to a cell's reports knows to add the bbox.
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object('type', 'Feature', 'id', key, 'geometry', g::json,
                                                    'properties', props) ORDER BY n DESC, key), '[]'),
    'cell', CAST(:cell AS text), 'size_m', CAST(:size AS float8), 'total', coalesce(sum(n), 0),
    'max', coalesce(max(n), 0), 'clipped', CAST(:clipped AS boolean))::text
FROM cells
