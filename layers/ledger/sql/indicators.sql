-- The indicators per 街道, 社区, owner or department (layers/ledger/ledgers.py:indicators): of the first reports in
-- `scope` dispatched between `since` and `until` (not rejected), how many were due, closed, closed on time,
-- reworked, overdue, and how many have a photo flagged as evidence of 虚假整改 (evidence_flagged). Fixed
-- (整改完成) is the last rectification after any rework. Each level's `grouped` (facts by key and name) is
-- in indicators_grouped_<level>.sql, put in as the `grouped` CTE.
WITH facts AS (
    SELECT p.id, p.region_code,
           (p.status = 'closed' OR p.due_at <= now()) AS due,
           p.status = 'closed' AS closed,
           p.status = 'closed' AND fixed.at <= p.due_at AS on_time,
           p.rework_count > 0 AS reworked,
           (p.status <> 'closed' AND p.due_at < now() AND (fixed.at IS NULL OR fixed.at > p.due_at))
               OR (p.status = 'closed' AND fixed.at > p.due_at) AS overdue,
           EXISTS (SELECT 1 FROM problem_photos f WHERE f.problem_id = p.id AND f.flags <> '{}') AS flagged
    FROM problems p
    LEFT JOIN LATERAL (SELECT max(e.at) AS at FROM problem_events e
                       WHERE e.problem_id = p.id AND e.to_status = 'rectified') fixed ON true
    WHERE p.duplicate_of IS NULL AND p.dispatched_at IS NOT NULL AND p.status <> 'rejected'
      AND p.dispatched_at >= :since AND p.dispatched_at < :until
      AND coalesce(p.region_code, '') LIKE :scope || '%'),
grouped AS ({grouped})
SELECT key, name, count(*) AS dispatched, count(*) FILTER (WHERE due) AS due,
       count(*) FILTER (WHERE due AND closed) AS closed,
       count(*) FILTER (WHERE due AND on_time) AS closed_on_time,
       count(*) FILTER (WHERE due AND reworked) AS reworked,
       count(*) FILTER (WHERE due AND overdue) AS overdue,
       count(*) FILTER (WHERE flagged) AS evidence_flagged
FROM grouped GROUP BY key, name ORDER BY key
