-- Record every exposure up to `as_of` with the level it reaches (layers/ledger/escalation.py:run); returns the
-- new rows' ids. `days` is the rolling window (escalation_settings.window_days). Running it again adds only what
-- is new (ON CONFLICT on the holder, kind and problem).
WITH cfg AS (SELECT
        (SELECT value::boolean FROM escalation_settings WHERE key = 'count_overdue') AS c_overdue,
        (SELECT value::boolean FROM escalation_settings WHERE key = 'count_rework') AS c_rework,
        (SELECT value::boolean FROM escalation_settings WHERE key = 'count_mystery') AS c_mystery),
exposures AS (
    -- Not rectified by the deadline: still open past it, or rectified only after it.
    SELECT p.id AS problem_id, 'overdue' AS kind, p.due_at AS at FROM problems p, cfg
    WHERE cfg.c_overdue AND p.due_at IS NOT NULL AND p.due_at <= :as_of AND p.duplicate_of IS NULL
      AND p.status <> 'rejected'
      AND NOT EXISTS (SELECT 1 FROM problem_events e WHERE e.problem_id = p.id AND e.to_status = 'rectified'
                      AND e.at <= p.due_at)
    UNION ALL
    SELECT e.problem_id, 'rework', e.at FROM problem_events e, cfg
    WHERE cfg.c_rework AND e.action = '退回' AND e.at <= :as_of
    UNION ALL
    SELECT p.id, 'mystery', p.reported_at FROM problems p, cfg
    WHERE cfg.c_mystery AND p.source = 'mystery' AND p.reported_at <= :as_of AND p.status <> 'rejected'
      AND p.duplicate_of IS NULL),
owned AS (
    SELECT DISTINCT ON (holder_key, x.kind, x.problem_id)
           x.problem_id, x.kind, x.at, a.person_id, a.unit_id,
           coalesce('person:' || a.person_id, 'unit:' || a.unit_id) AS holder_key, p.region_code
    FROM exposures x
    JOIN problem_owners po ON po.problem_id = x.problem_id
    JOIN assignments a ON a.id = po.assignment_id
    JOIN owner_roles r ON r.code = a.role AND r.is_primary
    JOIN problems p ON p.id = x.problem_id
    ORDER BY holder_key, x.kind, x.problem_id),
counted AS (
    SELECT o.*,
           count(*) OVER w AS n,
           array_agg(o.problem_id) OVER w AS ids
    FROM owned o
    WINDOW w AS (PARTITION BY holder_key ORDER BY at
                 RANGE BETWEEN make_interval(days => CAST(:days AS int)) PRECEDING AND CURRENT ROW))
INSERT INTO escalations (person_id, unit_id, holder_key, level, exposure_no, kind, problem_id, exposed_at,
                         region_code, window_problem_ids)
SELECT c.person_id, c.unit_id, c.holder_key,
       (SELECT max(level) FROM escalation_levels WHERE exposures <= c.n), c.n, c.kind, c.problem_id, c.at,
       c.region_code, c.ids
FROM counted c
ON CONFLICT (holder_key, kind, problem_id) DO NOTHING
RETURNING id
