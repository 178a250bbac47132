-- 按期结案率 of the month so far (layers/analytics/overview.py): the indicators' "due to close" and "closed on time"
-- (layers/ledger/sql/indicators.sql: dispatched first reports, not rejected; on time = closed, and fixed (整改完成,
-- the last rectification) by the deadline), counted in the month the deadline passed — or, closed before a
-- deadline still to come, in the month it closed. So each report counts once, and both halves are index reads:
--   due this month: the (status, due_at) index, one range per status but rejected (`:statuses`);
--   closed early: problems_closed_at (closed first reports by closing time).
-- Each closed one then looks up its last rectification through problem_events (problem_id, id).
WITH due AS (
    SELECT p.id, p.status, p.due_at FROM problems p
    WHERE p.status = ANY(:statuses) AND p.due_at >= :month_start AND p.due_at < now()
      AND p.duplicate_of IS NULL AND p.dispatched_at IS NOT NULL
      AND coalesce(p.region_code, '') LIKE :scope || '%'
    UNION ALL
    SELECT p.id, p.status, p.due_at FROM problems p
    WHERE p.status = 'closed' AND p.duplicate_of IS NULL AND p.closed_at >= :month_start
      AND (p.due_at >= now() OR p.due_at IS NULL) AND p.dispatched_at IS NOT NULL
      AND coalesce(p.region_code, '') LIKE :scope || '%')
SELECT count(*) AS due,
       count(*) FILTER (WHERE d.status = 'closed'
                          AND (SELECT max(e.at) FROM problem_events e
                               WHERE e.problem_id = d.id AND e.to_status = 'rectified') <= d.due_at) AS closed_on_time
FROM due d
