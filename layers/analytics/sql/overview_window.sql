-- The reports of the 大屏's window (layers/analytics/overview.py:overview), first reports only, in one pass: per
-- Beijing day, per small class and per area (:area_len digits of the region code: the 街道, or a 街道's 社区), each
-- with how many are still open and how many of those are overdue (`:final`, `:pending` as in filters.py).
-- The window bounds the read: `reported_at >= :since` prunes the monthly partitions to the window's (at most four
-- for 90 days) and the reported_at index finds the first month's part; the archive before it is never read.
WITH w AS (
    SELECT (p.reported_at AT TIME ZONE 'Asia/Shanghai')::date AS day, p.category_code,
           left(p.region_code, :area_len) AS area,
           p.status <> ALL(:final) AS open,
           p.status = ANY(:pending) AND p.due_at < now() AS overdue
    FROM problems p
    WHERE p.reported_at >= :since AND p.reported_at < :until AND p.duplicate_of IS NULL
      AND coalesce(p.region_code, '') LIKE :scope || '%')
SELECT CASE WHEN GROUPING(w.day) = 0 THEN 'day' WHEN GROUPING(w.category_code) = 0 THEN 'category'
            ELSE 'area' END AS kind,
       coalesce(w.day::text, w.category_code, w.area) AS key,
       count(*) AS reported, count(*) FILTER (WHERE w.open) AS open,
       count(*) FILTER (WHERE w.overdue) AS overdue
FROM w
GROUP BY GROUPING SETS ((w.day), (w.category_code), (w.area))
