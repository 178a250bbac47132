-- A round's score rates at every level in one pass (layers/campaign/round_results.py): the city, each 街道, 社区,
-- point type, point and checklist item. Score rate = passed weight / weight of the items scored, over the latest
-- visit in the round of each sampled point inside the caller's region (:cs, '' for the whole city); an item weighs
-- what it weighed when it was scored (older visits: its weight now).
WITH scored AS (
    SELECT rp.point_id, rp.point_type, rp.region_code, rp.subdistrict_code, ir.item_id,
           coalesce(ir.weight, ci.weight) AS weight, ir.passed
    FROM assessment_round_points rp
    JOIN assessment_round_visits v ON v.round_id = rp.round_id AND v.point_id = rp.point_id
    JOIN inspection_results ir ON ir.visit_id = v.visit_id
    JOIN checklist_items ci ON ci.id = ir.item_id
    WHERE rp.round_id = :round AND starts_with(coalesce(rp.region_code, ''), :cs)
), grouped AS (
    SELECT CASE WHEN grouping(subdistrict_code) = 0 THEN 'subdistrict'
                WHEN grouping(region_code) = 0 THEN 'community'
                WHEN grouping(point_type) = 0 THEN 'point_type'
                WHEN grouping(point_id) = 0 THEN 'point'
                WHEN grouping(item_id) = 0 THEN 'item'
                ELSE 'city' END AS level,
           subdistrict_code, region_code, point_type, point_id, item_id,
           coalesce(sum(weight) FILTER (WHERE passed), 0) AS passed_weight, sum(weight) AS total_weight,
           count(DISTINCT point_id) AS points, count(*) AS scored, count(*) FILTER (WHERE NOT passed) AS failed
    FROM scored
    GROUP BY GROUPING SETS ((), (subdistrict_code), (region_code), (point_type), (point_id), (item_id))
)
SELECT g.level,
       CASE g.level WHEN 'subdistrict' THEN g.subdistrict_code WHEN 'community' THEN g.region_code
                    WHEN 'point_type' THEN g.point_type WHEN 'point' THEN CAST(g.point_id AS text)
                    WHEN 'item' THEN CAST(g.item_id AS text) END AS key,
       CASE g.level WHEN 'subdistrict' THEN coalesce(sd.name, g.subdistrict_code)
                    WHEN 'community' THEN coalesce(cm.name, g.region_code)
                    WHEN 'point_type' THEN g.point_type WHEN 'point' THEN a.name WHEN 'item' THEN ci.text
                    ELSE '合计' END AS name,
       CASE g.level WHEN 'community' THEN cs.name WHEN 'point' THEN a.point_type
                    WHEN 'item' THEN ci.point_type END AS parent,
       CASE g.level WHEN 'point' THEN a.code WHEN 'item' THEN ci.code END AS code,
       g.passed_weight, g.total_weight, g.points, g.scored, g.failed
FROM grouped g
LEFT JOIN regions sd ON g.level = 'subdistrict' AND sd.code = g.subdistrict_code
LEFT JOIN regions cm ON g.level = 'community' AND cm.code = g.region_code
LEFT JOIN regions cs ON g.level = 'community' AND cs.code = left(g.region_code, 9) AND length(g.region_code) > 9
LEFT JOIN assessment_points a ON g.level = 'point' AND a.id = g.point_id
LEFT JOIN checklist_items ci ON g.level = 'item' AND ci.id = g.item_id
ORDER BY g.level, key
