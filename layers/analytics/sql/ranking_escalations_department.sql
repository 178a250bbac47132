-- Escalations of departments (as a unit party) exposed in the period, in the caller's region.
SELECT e.party_key, count(*) FROM escalations e JOIN units u ON u.id = e.unit_id AND u.kind = 'department'
WHERE e.party = 'unit' AND e.because_of IS NULL AND e.exposed_at >= :since AND e.exposed_at < :until
  AND coalesce(e.region_code, '') LIKE :scope || '%'
GROUP BY 1
