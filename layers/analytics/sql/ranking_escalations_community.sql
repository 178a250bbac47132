-- Escalations exposed in the period, per community (a head's records for its unit counted once, as the unit's).
SELECT left(region_code, 12), count(*) FROM escalations
WHERE because_of IS NULL AND exposed_at >= :since AND exposed_at < :until
  AND coalesce(region_code, '') LIKE :scope || '%'
GROUP BY 1
