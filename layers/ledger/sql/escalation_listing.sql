-- Escalation records, newest first (layers/ledger/escalation.py:listing); every filter may be NULL: `week` as
-- ISO week 2026-W47 (Asia/Shanghai), `scope` a region code prefix, `level`.
SELECT e.id, e.level, l.name AS level_name, e.exposure_no, e.kind, e.problem_id, e.exposed_at,
       to_char(e.exposed_at AT TIME ZONE 'Asia/Shanghai', 'IYYY-"W"IW') AS week,
       e.person_id, e.unit_id, coalesce(p.name, u.name) AS holder, e.region_code, e.window_problem_ids
FROM escalations e JOIN escalation_levels l ON l.level = e.level
LEFT JOIN people p ON p.id = e.person_id LEFT JOIN units u ON u.id = e.unit_id
WHERE (CAST(:week AS text) IS NULL
       OR to_char(e.exposed_at AT TIME ZONE 'Asia/Shanghai', 'IYYY-"W"IW') = :week)
  AND (CAST(:scope AS text) IS NULL OR e.region_code LIKE :scope || '%')
  AND (CAST(:level AS int) IS NULL OR e.level = :level)
ORDER BY e.exposed_at DESC, e.id DESC LIMIT :limit
