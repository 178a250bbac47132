-- The indicators per primary owner (each owner a problem was routed
-- to answers for it) (layers/ledger/ledgers.py:indicators): of the first reports in
-- `scope` dispatched between `since` and `until` (not rejected), how many were due, closed, closed on time,
-- reworked, overdue. Fixed (整改完成) is the last rectification after any rework. The three levels' files differ
-- only in `grouped`.
WITH facts AS (
    SELECT p.id, p.region_code,
           (p.status = 'closed' OR p.due_at <= now()) AS due,
           p.status = 'closed' AS closed,
           p.status = 'closed' AND fixed.at <= p.due_at AS on_time,
           p.rework_count > 0 AS reworked,
           (p.status <> 'closed' AND p.due_at < now() AND (fixed.at IS NULL OR fixed.at > p.due_at))
               OR (p.status = 'closed' AND fixed.at > p.due_at) AS overdue
    FROM problems p
    LEFT JOIN LATERAL (SELECT max(e.at) AS at FROM problem_events e
                       WHERE e.problem_id = p.id AND e.to_status = 'rectified') fixed ON true
    WHERE p.duplicate_of IS NULL AND p.dispatched_at IS NOT NULL AND p.status <> 'rejected'
      AND p.dispatched_at >= :since AND p.dispatched_at < :until
      AND coalesce(p.region_code, '') LIKE :scope || '%'),
grouped AS (
    SELECT coalesce('person:' || a.person_id, 'unit:' || a.unit_id) AS key, coalesce(pp.name, u.name) AS name, f.*
    FROM facts f
    JOIN (SELECT DISTINCT po.problem_id, a2.person_id, a2.unit_id FROM problem_owners po
          JOIN assignments a2 ON a2.id = po.assignment_id
          JOIN owner_roles r ON r.code = a2.role AND r.is_primary) a ON a.problem_id = f.id
    LEFT JOIN people pp ON pp.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id)
SELECT key, name, count(*) AS dispatched, count(*) FILTER (WHERE due) AS due,
       count(*) FILTER (WHERE due AND closed) AS closed,
       count(*) FILTER (WHERE due AND on_time) AS closed_on_time,
       count(*) FILTER (WHERE due AND reworked) AS reworked,
       count(*) FILTER (WHERE due AND overdue) AS overdue
FROM grouped GROUP BY key, name ORDER BY key
