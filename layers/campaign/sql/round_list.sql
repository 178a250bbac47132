-- The rounds a caller sees (layers/campaign/rounds.py): a round whose scope holds the caller's region or lies
-- inside it (:cs, '' for the whole city). Its counts and score rate are those of the sampled points inside the
-- caller's region: sampled, assigned, visited (a visit in the round), passed and total weight of the items of each
-- point's latest visit. Newest period first.
WITH chosen AS (
    SELECT r.* FROM assessment_rounds r
    WHERE (CAST(:id AS integer) IS NULL OR r.id = :id)
      AND (r.scope_code IS NULL OR starts_with(r.scope_code, :cs) OR starts_with(:cs, r.scope_code))
      AND (CAST(:state AS text) IS NULL OR r.state = :state)
      AND (CAST(:kind AS text) IS NULL OR r.kind = :kind)
      AND (CAST(:period AS text) IS NULL OR r.period = :period)
    ORDER BY r.period_start DESC, r.id DESC
    LIMIT :limit
), sample AS (
    SELECT rp.round_id, rp.point_id, rp.assignee_user_id FROM assessment_round_points rp
    JOIN chosen c ON c.id = rp.round_id
    WHERE starts_with(coalesce(rp.region_code, ''), :cs)
), counts AS (
    SELECT s.round_id, count(*) AS sampled, count(s.assignee_user_id) AS assigned, count(v.visit_id) AS visited
    FROM sample s LEFT JOIN assessment_round_visits v ON v.round_id = s.round_id AND v.point_id = s.point_id
    GROUP BY s.round_id
), weights AS (
    SELECT s.round_id, sum(coalesce(ir.weight, ci.weight)) FILTER (WHERE ir.passed) AS passed_weight,
           sum(coalesce(ir.weight, ci.weight)) AS total_weight
    FROM sample s
    JOIN assessment_round_visits v ON v.round_id = s.round_id AND v.point_id = s.point_id
    JOIN inspection_results ir ON ir.visit_id = v.visit_id
    JOIN checklist_items ci ON ci.id = ir.item_id
    GROUP BY s.round_id
)
SELECT c.id, c.name, c.kind, c.period, c.period_start, c.period_end, c.scope_code, g.name AS scope_name, c.state,
       c.seed, c.include_weak, c.include_failed_previous, c.note, c.created_by, c.created_at, c.sampled_at,
       c.started_at, c.closed_at,
       coalesce(n.sampled, 0) AS sampled, coalesce(n.assigned, 0) AS assigned, coalesce(n.visited, 0) AS visited,
       coalesce(w.passed_weight, 0) AS passed_weight, coalesce(w.total_weight, 0) AS total_weight
FROM chosen c
LEFT JOIN regions g ON g.code = c.scope_code
LEFT JOIN counts n ON n.round_id = c.id
LEFT JOIN weights w ON w.round_id = c.id
ORDER BY c.period_start DESC, c.id DESC
