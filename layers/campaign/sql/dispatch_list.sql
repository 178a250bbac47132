-- 交办单, newest first (layers/campaign/dispatch_service.py:listing): those of the caller's region (`scope`), or sent
-- to the caller's own person (:me) or to the unit that person belongs to (:my_unit); every filter optional.
SELECT d.id, d.number, d.year, d.seq, d.title, d.person_id, d.unit_id, coalesce(pe.name, u.name) AS recipient,
       CASE WHEN d.person_id IS NOT NULL THEN 'person' ELSE 'unit' END AS recipient_kind,
       pe.title AS recipient_title, d.region_code, d.deadline, d.note, d.source, d.source_query, d.created_by,
       d.created_at, d.cancelled_by, d.cancelled_at, d.cancel_reason
FROM dispatch_sheets d
LEFT JOIN people pe ON pe.id = d.person_id
LEFT JOIN units u ON u.id = d.unit_id
WHERE (CAST(:scope AS text) IS NULL OR starts_with(coalesce(d.region_code, ''), :scope)
       OR d.person_id = CAST(:me AS int) OR d.unit_id = CAST(:my_unit AS int))
  AND (CAST(:person_id AS int) IS NULL OR d.person_id = :person_id)
  AND (CAST(:unit_id AS int) IS NULL OR d.unit_id = :unit_id)
  AND (CAST(:id AS bigint) IS NULL OR d.id = :id)
ORDER BY d.created_at DESC, d.id DESC
LIMIT :limit OFFSET :offset
