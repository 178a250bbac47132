-- The latest edits of the rule tables and the work calendar, newest first (audit_log_entity serves the filter).
SELECT id, at, actor, action, entity, entity_id, detail
FROM audit_log
WHERE entity = ANY(CAST(:entities AS text[]))
ORDER BY id DESC
LIMIT :limit
