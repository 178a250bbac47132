-- How many problems each exposure kind counted against in the period [since, until) inside `scope` (a problem
-- exposed for two kinds counts under each), the kinds in their order; the 曝光台's totals.
SELECT k.code, k.name, count(DISTINCT e.problem_id) AS problems
FROM escalations e JOIN exposure_kinds k ON k.code = e.kind
WHERE e.because_of IS NULL AND e.exposed_at >= :since AND e.exposed_at < :until
  AND coalesce(e.region_code, '') LIKE :scope || '%'
GROUP BY k.code, k.name, k.sort
ORDER BY k.sort, k.code
