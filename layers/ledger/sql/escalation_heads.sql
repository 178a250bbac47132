-- A unit's head (一把手) answers for the unit (layers/ledger/escalation.py:run): each unit record at the ladder's
-- 约谈 level or above gets a record for the unit's head at the same level, `because_of` the unit's. Keyed apart
-- from the head's own exposures ('head:'), so it does not count on the head's personal ladder.
INSERT INTO escalations (party, party_key, person_id, level, exposure_no, kind, problem_id, problem_reported_at,
                         district_code, exposed_at, region_code, window_problem_ids, because_of)
SELECT 'person', 'head:' || u.head_person_id, u.head_person_id, e.level, e.exposure_no, e.kind, e.problem_id,
       e.problem_reported_at, e.district_code, e.exposed_at, e.region_code, e.window_problem_ids, e.id
FROM escalations e JOIN units u ON u.id = e.unit_id AND u.head_person_id IS NOT NULL
WHERE e.party = 'unit'
  AND e.level >= (SELECT min(level) FROM escalation_levels WHERE party = 'unit' AND code = 'talk')
  AND EXISTS (SELECT 1 FROM escalation_levels l WHERE l.party = 'person' AND l.level = e.level)
ON CONFLICT (party_key, problem_id) DO NOTHING
RETURNING id
