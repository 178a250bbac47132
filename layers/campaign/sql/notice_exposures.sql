-- The 曝光台 of a 通报 (layers/campaign/notice_snapshot.py): the problems exposed in the period [since, until)
-- inside `scope`, as the escalation ladder recorded them (escalations: one row per responsible party and problem,
-- at its first counted exposure; a unit's head rides along and is left out). One row per problem with every kind
-- and party it counted against, the problems with a photo first, then the heavier kinds (exposure_kinds.sort),
-- then the earliest; `total` counts them all, the rows stop at :limit.
WITH x AS (
    SELECT e.problem_id, e.problem_reported_at, min(e.exposed_at) AS exposed_at, max(k.sort) AS kind_sort,
           array_agg(DISTINCT k.name) AS kinds,
           array_agg(DISTINCT coalesce(pe.name, u.name) || '（' || l.name || '）') AS parties
    FROM escalations e
    JOIN exposure_kinds k ON k.code = e.kind
    JOIN escalation_levels l ON l.party = e.party AND l.level = e.level
    LEFT JOIN people pe ON pe.id = e.person_id
    LEFT JOIN units u ON u.id = e.unit_id
    WHERE e.because_of IS NULL AND e.exposed_at >= :since AND e.exposed_at < :until
      AND coalesce(e.region_code, '') LIKE :scope || '%'
    GROUP BY e.problem_id, e.problem_reported_at)
SELECT x.problem_id, x.exposed_at, x.kinds, x.parties, count(*) OVER () AS total,
       p.reported_at, p.description, p.address, c.name AS category, st.name AS status,
       coalesce((SELECT name FROM streets WHERE id = p.street_id),
                (SELECT name FROM assessment_points WHERE id = p.point_id),
                cm.name, sd.name) AS place,
       sd.name AS subdistrict, cm.name AS community,
       EXISTS (SELECT 1 FROM problem_photos f WHERE f.problem_id = p.id) AS has_photo
FROM x
JOIN problems p ON p.id = x.problem_id AND p.reported_at = x.problem_reported_at
JOIN problem_categories c ON c.code = p.category_code
JOIN problem_statuses st ON st.code = p.status
LEFT JOIN regions sd ON sd.code = left(p.region_code, 9) AND sd.level = 'subdistrict'
LEFT JOIN regions cm ON cm.code = left(p.region_code, 12) AND cm.level = 'community'
ORDER BY has_photo DESC, x.kind_sort DESC, x.exposed_at, x.problem_id
LIMIT :limit
