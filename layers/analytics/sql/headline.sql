-- The home page's problem numbers in `scope` (layers/analytics/headline.py:numbers), first reports only, each read
-- where it is kept: open from the pre-binned all-time counts of one grid (:grid, every report is in each grid once);
-- today's from the current month's partition; overdue (`:pending`, past the deadline) through the status/deadline
-- index; closed in the last 30 days through problems_closed_at (migration 0023).
SELECT (SELECT count(*) FROM problems p
        WHERE p.reported_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai'
          AND p.duplicate_of IS NULL AND coalesce(p.region_code, '') LIKE :scope || '%') AS today,
       (SELECT coalesce(sum(b.n_open), 0) FROM problem_bins b
        WHERE b.grid = :grid AND b.span = 'a' AND b.region_code LIKE :scope || '%')::bigint AS open,
       (SELECT count(*) FROM problems p
        WHERE p.status = ANY(:pending) AND p.due_at < now() AND p.duplicate_of IS NULL
          AND coalesce(p.region_code, '') LIKE :scope || '%') AS overdue,
       (SELECT count(*) FROM problems p
        WHERE p.status = 'closed' AND p.closed_at >= now() - interval '30 days' AND p.duplicate_of IS NULL
          AND coalesce(p.region_code, '') LIKE :scope || '%') AS closed_30d
