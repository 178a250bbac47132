-- The 负面清单's first reason (layers/campaign/negative_list.py): people and units whose escalation records reached
-- 约谈 or 问责 (the ladder's levels coded talk and accountability) in the period [since, until) inside `scope`,
-- waived records left out; one row per person or unit (person:<id>, unit:<id>) with the highest level reached,
-- how many records, their kinds and problems. A unit's head escalated with it is the person, naming the unit.
WITH x AS (
    SELECT coalesce('person:' || e.person_id, 'unit:' || e.unit_id) AS key, e.party, e.id, e.problem_id,
           l.level, l.name AS level_name, l.code AS level_code, k.name AS kind, bu.name AS head_of,
           coalesce(p.name, u.name) AS name, p.title, coalesce(p.region_code, u.region_code) AS home
    FROM escalations e
    JOIN escalation_levels l ON l.party = e.party AND l.level = e.level
    JOIN exposure_kinds k ON k.code = e.kind
    LEFT JOIN people p ON p.id = e.person_id
    LEFT JOIN units u ON u.id = e.unit_id
    LEFT JOIN escalations b ON b.id = e.because_of
    LEFT JOIN units bu ON bu.id = b.unit_id
    WHERE l.code IN ('talk', 'accountability') AND e.state <> 'waived'
      AND e.exposed_at >= :since AND e.exposed_at < :until
      AND coalesce(e.region_code, '') LIKE :scope || '%')
SELECT key, min(party) AS party, min(name) AS name, min(title) AS title,
       (array_agg(level_name ORDER BY level DESC, id))[1] AS level_name,
       (array_agg(level_code ORDER BY level DESC, id))[1] AS level_code,
       count(*) AS records, array_agg(DISTINCT kind) AS kinds, array_agg(DISTINCT problem_id) AS problem_ids,
       array_agg(DISTINCT head_of) FILTER (WHERE head_of IS NOT NULL) AS head_of
FROM x
GROUP BY key
ORDER BY max(level) DESC, count(*) DESC, min(name), key
