-- The items of some 交办单 (:sheets) with their 对账 state, read from the problems as they are now (never stored):
--   closed   销号: the problem is verified (核查通过) or final (销号, 不予立案)
--   archived the problem's month was moved to the archive (it is no longer in the ledger)
--   overdue  past the item's deadline with no reply by then
--   replied  the recipient replied, the problem is not verified yet
--   open     neither
-- The newest reply is the one shown; every reply is kept (dispatch_replies).
SELECT i.sheet_id, i.id, i.seq, i.problem_id, i.deadline, p.status, st.name AS status_name, c.name AS category,
       coalesce((SELECT name FROM streets WHERE id = p.street_id),
                (SELECT name FROM assessment_points WHERE id = p.point_id),
                (SELECT name FROM regions WHERE code = p.region_code)) AS place,
       p.address, p.description, p.due_at, p.region_code,
       r.reply, r.replied_at, r.replied_by, r.via, coalesce(r.n, 0) AS replies,
       (SELECT max(e.at) FROM problem_events e WHERE e.problem_id = i.problem_id
          AND e.to_status IN ('verified', 'closed', 'rejected')) AS done_at,
       CASE WHEN p.id IS NULL THEN 'archived'
            WHEN st.final OR p.status = 'verified' THEN 'closed'
            WHEN i.deadline < now() AND NOT EXISTS (
                SELECT 1 FROM dispatch_replies x WHERE x.item_id = i.id AND x.replied_at <= i.deadline) THEN 'overdue'
            WHEN r.reply IS NOT NULL THEN 'replied'
            ELSE 'open' END AS state
FROM dispatch_items i
LEFT JOIN problems p ON p.id = i.problem_id AND p.reported_at = i.problem_reported_at
LEFT JOIN problem_statuses st ON st.code = p.status
LEFT JOIN problem_categories c ON c.code = p.category_code
LEFT JOIN LATERAL (SELECT d.reply, d.replied_at, d.replied_by, d.via, count(*) OVER () AS n
                   FROM dispatch_replies d WHERE d.item_id = i.id ORDER BY d.id DESC LIMIT 1) r ON true
WHERE i.sheet_id = ANY(:sheets)
ORDER BY i.sheet_id, i.seq
