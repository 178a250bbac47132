-- Escalations exposed in the period, per responsible party (person:<id>, unit:<id>; a head's records for its
-- unit are the unit's).
SELECT party_key, count(*) FROM escalations
WHERE because_of IS NULL AND exposed_at >= :since AND exposed_at < :until
  AND coalesce(region_code, '') LIKE :scope || '%'
GROUP BY 1
