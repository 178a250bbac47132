-- The escalations the office acted on in the period [since, until) inside `scope`: 通报 issued, 约谈 scheduled
-- or held, 问责 decided (waived records are not news), by the time of the office's last step on them.
SELECT e.id, e.party, l.name AS level_name, l.code AS level_code, e.state, e.exposure_no, k.name AS reason,
       e.problem_id, coalesce(p.name, u.name) AS holder, bu.name AS because_of_unit,
       e.scheduled_at, e.venue, e.minutes, e.decision, e.updated_at, sd.name AS subdistrict
FROM escalations e
JOIN escalation_levels l ON l.party = e.party AND l.level = e.level
JOIN exposure_kinds k ON k.code = e.kind
LEFT JOIN people p ON p.id = e.person_id
LEFT JOIN units u ON u.id = e.unit_id
LEFT JOIN escalations b ON b.id = e.because_of
LEFT JOIN units bu ON bu.id = b.unit_id
LEFT JOIN regions sd ON sd.code = left(e.region_code, 9) AND sd.level = 'subdistrict'
WHERE e.state IN ('notified', 'scheduled', 'held', 'decided')
  AND e.updated_at >= :since AND e.updated_at < :until
  AND coalesce(e.region_code, '') LIKE :scope || '%'
ORDER BY l.level DESC, e.updated_at, e.id
LIMIT :limit
