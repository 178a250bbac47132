-- Escalations exposed in the period, per subdistrict.
SELECT left(region_code, 9), count(*) FROM escalations
WHERE because_of IS NULL AND exposed_at >= :since AND exposed_at < :until
  AND coalesce(region_code, '') LIKE :scope || '%'
GROUP BY 1
