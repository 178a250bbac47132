-- The problems a new 交办单 would list (layers/campaign/dispatch_service.py:create), looked up by id: where each
-- lies, whether it is still open, its deadline. Overdue first, then by deadline, as the 督导单 orders them.
SELECT p.id, p.reported_at, p.region_code, p.due_at, p.duplicate_of, st.final
FROM problems p JOIN problem_statuses st ON st.code = p.status
WHERE p.id = ANY(:ids)
ORDER BY coalesce(p.due_at < now(), false) DESC, p.due_at NULLS LAST, p.id
