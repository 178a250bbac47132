-- The 问责 (the ladder's level coded 'accountability') reached in the period [since, until) inside `scope`, one row
-- per record: who (party_key: person:<id>, unit:<id>) and where (region_code). The 红旗 rule "no 问责" counts these
-- per 街道, 社区, owner or department.
SELECT e.party_key, e.region_code
FROM escalations e JOIN escalation_levels l ON l.party = e.party AND l.level = e.level
WHERE l.code = 'accountability' AND e.because_of IS NULL AND e.state <> 'waived'
  AND e.exposed_at >= :since AND e.exposed_at < :until
  AND coalesce(e.region_code, '') LIKE :scope || '%'
