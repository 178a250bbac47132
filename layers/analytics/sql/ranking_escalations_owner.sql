-- Escalations exposed in the period, per owner.
SELECT holder_key, count(*) FROM escalations
WHERE exposed_at >= :since AND exposed_at < :until AND coalesce(region_code, '') LIKE :scope || '%'
GROUP BY 1
