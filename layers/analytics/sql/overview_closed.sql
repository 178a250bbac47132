-- First reports closed (销号) per Beijing day of the 大屏's window, through problems_closed_at (migration 0023: a
-- partial index of closed first reports by closing time, one per monthly partition): only the window's closures
-- are read. The same count as the home page's 近30天销号 (sql/headline.sql), by day.
SELECT (p.closed_at AT TIME ZONE 'Asia/Shanghai')::date AS day, count(*) AS closed
FROM problems p
WHERE p.status = 'closed' AND p.duplicate_of IS NULL AND p.closed_at >= :since AND p.closed_at < :until
  AND coalesce(p.region_code, '') LIKE :scope || '%'
GROUP BY 1
