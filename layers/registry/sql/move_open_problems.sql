-- The open problems owned through the ended assignments pass to their successors on the same place (same
-- layer, feature and role, starting the day the old one ended), with a 移交 event each.
WITH moved AS (
    SELECT po.problem_id, po.place, po.assignment_id AS old_id, nxt.id AS new_id, p.status
    FROM problem_owners po
    JOIN assignments old ON old.id = po.assignment_id AND old.id = ANY(:ended)
    JOIN assignments nxt ON nxt.layer = old.layer AND nxt.feature_id = old.feature_id
         AND nxt.role = old.role AND nxt.valid_from = old.valid_to
    JOIN problems p ON p.id = po.problem_id
    JOIN problem_statuses st ON st.code = p.status AND NOT st.final),
gone AS (DELETE FROM problem_owners po USING moved m
         WHERE po.problem_id = m.problem_id AND po.assignment_id = m.old_id),
added AS (INSERT INTO problem_owners (problem_id, assignment_id, place)
          SELECT problem_id, new_id, place FROM moved ON CONFLICT DO NOTHING)
INSERT INTO problem_events (problem_id, actor, action, from_status, to_status, note)
SELECT DISTINCT problem_id, :actor, '移交', status, status, '责任人变更，问题转交新责任人' FROM moved
RETURNING problem_id
