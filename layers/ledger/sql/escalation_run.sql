-- Record every exposure up to `as_of` with the level it reaches (layers/ledger/escalation.py:run); returns the new
-- rows' ids. An exposure is one event per responsible party per problem: its first counted exposure.
--
-- Kinds (exposure_kinds, each says whether it counts): overdue (not rectified by the deadline; a 领导交办 problem
-- is `leader` instead), rework (a failed re-inspection, 退回), and the kind of the problem's source when its source
-- is an exposure in itself (暗访/模拟测评 → mystery, 媒体曝光 → media).
-- Parties: the person who is the primary owner of the problem's most specific place (point, street, grid cell,
-- community, 街道; at one place the role nearest the ground); and one unit: the 主办 department the most specific
-- rule named, else the place's 责任单位.
-- Counting (escalation_settings, bound by the caller): count_mode 'window' counts the party's exposures in the last `window_days`;
-- 'periods' counts the consecutive periods (`period`: week, month, quarter) in which it was exposed, one escalation
-- a period (at its first exposure; unit_count_mode is the units' mode). The Nth
-- reaches the party's ladder level whose `exposures` is the largest not above N. Running it again adds only what
-- is new (ON CONFLICT on the party and problem), and keeps what the office recorded on the old rows.
WITH cfg AS (SELECT CAST(:mode AS text) AS mode, CAST(:unit_mode AS text) AS unit_mode,
                    CAST(:period AS text) AS period),
raw AS (
    SELECT p.id AS problem_id, CASE WHEN p.source = 'leader_referral' THEN 'leader' ELSE 'overdue' END AS kind,
           p.due_at AS at
    FROM problems p
    WHERE p.due_at IS NOT NULL AND p.due_at <= :as_of AND p.duplicate_of IS NULL AND p.status <> 'rejected'
      AND NOT EXISTS (SELECT 1 FROM problem_events e WHERE e.problem_id = p.id AND e.to_status = 'rectified'
                      AND e.at <= p.due_at)
    UNION ALL
    SELECT e.problem_id, 'rework', e.at FROM problem_events e WHERE e.action = '退回' AND e.at <= :as_of
    UNION ALL
    SELECT p.id, src.exposure_kind, p.reported_at
    FROM problems p JOIN problem_sources src ON src.code = p.source AND src.exposure_kind IS NOT NULL
    WHERE p.reported_at <= :as_of AND p.status <> 'rejected' AND p.duplicate_of IS NULL),
exposure AS (  -- the counted kinds only
    SELECT r.* FROM raw r JOIN exposure_kinds k ON k.code = r.kind AND k.counts),
person_party AS (
    SELECT DISTINCT ON (po.problem_id) po.problem_id, a.person_id
    FROM problem_owners po
    JOIN assignments a ON a.id = po.assignment_id AND a.person_id IS NOT NULL
    JOIN owner_roles r ON r.code = a.role AND r.is_primary
    WHERE po.problem_id IN (SELECT problem_id FROM exposure)
    ORDER BY po.problem_id,
             array_position(ARRAY['assessment_point', 'street', 'grid_cell', 'community', 'subdistrict'], po.place),
             r.sort DESC, a.id),
unit_party AS (
    SELECT DISTINCT ON (problem_id) problem_id, unit_id FROM (
        SELECT pd.problem_id, pd.unit_id,
               0 AS source_rank,
               -- one lead per problem since intake picks it; the most specific rule first all the same
               -(ccgrid_department_rule_rank(d.category_code, d.point_type, d.road_class)) AS specific
        FROM problem_departments pd LEFT JOIN department_rules d ON d.id = pd.rule_id
        WHERE pd.duty = 'lead' AND pd.problem_id IN (SELECT problem_id FROM exposure)
        UNION ALL
        SELECT po.problem_id, a.unit_id, 1,
               array_position(ARRAY['assessment_point', 'street', 'grid_cell', 'community', 'subdistrict'], po.place)
        FROM problem_owners po
        JOIN assignments a ON a.id = po.assignment_id AND a.unit_id IS NOT NULL
        JOIN owner_roles r ON r.code = a.role AND r.is_primary
        WHERE po.problem_id IN (SELECT problem_id FROM exposure)) u
    ORDER BY problem_id, source_rank, specific, unit_id),
parties AS (
    SELECT 'person' AS party, 'person:' || pp.person_id AS party_key, pp.person_id, NULL::int AS unit_id,
           pp.problem_id
    FROM person_party pp
    UNION ALL
    SELECT 'unit', 'unit:' || up.unit_id, NULL, up.unit_id, up.problem_id FROM unit_party up),
firsts AS (  -- one exposure per party and problem: the first
    SELECT DISTINCT ON (pa.party_key, x.problem_id)
           pa.party, pa.party_key, pa.person_id, pa.unit_id, x.problem_id, x.kind, x.at, p.region_code
    FROM exposure x JOIN parties pa ON pa.problem_id = x.problem_id
    JOIN problems p ON p.id = x.problem_id
    ORDER BY pa.party_key, x.problem_id, x.at, x.kind),
periods AS (
    SELECT f.*, CASE cfg.period
                    WHEN 'week' THEN floor(extract(epoch FROM date_trunc('week', f.at AT TIME ZONE 'Asia/Shanghai'))
                                           / 604800)::int
                    WHEN 'quarter' THEN extract(year FROM f.at AT TIME ZONE 'Asia/Shanghai')::int * 4
                                        + extract(quarter FROM f.at AT TIME ZONE 'Asia/Shanghai')::int
                    ELSE extract(year FROM f.at AT TIME ZONE 'Asia/Shanghai')::int * 12
                         + extract(month FROM f.at AT TIME ZONE 'Asia/Shanghai')::int END AS period_no
    FROM firsts f, cfg),
runs AS (  -- consecutive periods with an exposure: each period's place in its run
    SELECT party_key, period_no,
           row_number() OVER (PARTITION BY party_key, period_no - rn ORDER BY period_no) AS run_length
    FROM (SELECT DISTINCT party_key, period_no,
                 dense_rank() OVER (PARTITION BY party_key ORDER BY period_no) AS rn FROM periods) d),
counted AS (
    SELECT pr.*, CASE pr.party WHEN 'unit' THEN cfg.unit_mode ELSE cfg.mode END AS mode,
           row_number() OVER (PARTITION BY pr.party_key, pr.period_no ORDER BY pr.at, pr.problem_id) AS in_period,
           CASE WHEN CASE pr.party WHEN 'unit' THEN cfg.unit_mode ELSE cfg.mode END = 'periods' THEN ru.run_length
                ELSE count(*) OVER w END AS n,
           array_agg(pr.problem_id) OVER w AS ids
    FROM periods pr JOIN runs ru ON ru.party_key = pr.party_key AND ru.period_no = pr.period_no, cfg
    WINDOW w AS (PARTITION BY pr.party_key ORDER BY pr.at
                 RANGE BETWEEN make_interval(days => CAST(:days AS int)) PRECEDING AND CURRENT ROW))
INSERT INTO escalations (party, party_key, person_id, unit_id, level, exposure_no, kind, problem_id, exposed_at,
                         region_code, window_problem_ids)
SELECT c.party, c.party_key, c.person_id, c.unit_id, lv.level, c.n, c.kind, c.problem_id, c.at, c.region_code, c.ids
FROM counted c
JOIN LATERAL (SELECT level FROM escalation_levels l WHERE l.party = c.party AND l.exposures <= c.n
              ORDER BY l.exposures DESC LIMIT 1) lv ON true
WHERE c.mode = 'window' OR c.in_period = 1  -- counting periods: one escalation a period, at its first exposure
ON CONFLICT (party_key, problem_id) DO NOTHING
RETURNING id
