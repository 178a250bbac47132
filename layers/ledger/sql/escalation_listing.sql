-- Escalation records, newest first (layers/ledger/escalation.py:listing); every filter may be NULL: `week` as
-- ISO week 2026-W47 (Asia/Shanghai), [since, until) any period's bounds (gis/periods.py), `scope` a region code prefix, `level`, `party` (person, unit), `state`,
-- `department` (a unit: its records and its head's).
SELECT e.id, e.party, e.level, l.code AS level_code, l.name AS level_name, e.exposure_no, e.kind,
       k.name AS reason, e.problem_id, e.exposed_at,
       to_char(e.exposed_at AT TIME ZONE 'Asia/Shanghai', 'IYYY-"W"IW') AS week,
       e.person_id, e.unit_id, coalesce(p.name, u.name) AS holder, p.title AS holder_title,
       c.name AS category_name, e.region_code, e.window_problem_ids,
       e.because_of, bu.name AS because_of_unit, e.state, e.scheduled_at, e.venue, e.attendees, e.minutes,
       e.decision, e.decided_at, e.updated_by, e.updated_at
FROM escalations e JOIN escalation_levels l ON l.party = e.party AND l.level = e.level
JOIN exposure_kinds k ON k.code = e.kind
LEFT JOIN people p ON p.id = e.person_id LEFT JOIN units u ON u.id = e.unit_id
LEFT JOIN escalations b ON b.id = e.because_of LEFT JOIN units bu ON bu.id = b.unit_id
LEFT JOIN problems pr ON pr.id = e.problem_id AND pr.reported_at = e.problem_reported_at
LEFT JOIN problem_categories c ON c.code = pr.category_code
WHERE (CAST(:week AS text) IS NULL
       OR to_char(e.exposed_at AT TIME ZONE 'Asia/Shanghai', 'IYYY-"W"IW') = :week)
  AND (CAST(:since AS timestamptz) IS NULL OR e.exposed_at >= :since)
  AND (CAST(:until AS timestamptz) IS NULL OR e.exposed_at < :until)
  AND (CAST(:scope AS text) IS NULL OR e.region_code LIKE :scope || '%')
  AND (CAST(:level AS int) IS NULL OR e.level = :level)
  AND (CAST(:party AS text) IS NULL OR e.party = :party)
  AND (CAST(:state AS text) IS NULL OR e.state = :state)
  AND (CAST(:department AS int) IS NULL OR e.unit_id = :department OR b.unit_id = :department)
  AND (CAST(:id AS bigint) IS NULL OR e.id = :id)
ORDER BY e.exposed_at DESC, e.id DESC LIMIT :limit
