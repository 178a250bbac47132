-- Published 通报, newest first (layers/campaign/notice_service.py:listing): those a caller of region `scope` may
-- read (a city-wide one; one inside their region; one of a wider region that holds theirs), every filter optional.
SELECT n.id, n.number, n.title, n.period, n.period_kind, n.period_start, n.period_end, n.scope,
       coalesce(r.name, '全市') AS scope_name, n.state, n.published_by, n.published_at, n.withdrawn_by,
       n.withdrawn_at, n.withdraw_reason, n.replaces, o.number AS replaces_number, n.replaced_by,
       nn.number AS replaced_by_number, n.digest,
       (SELECT count(*) FROM notice_photos f WHERE f.notice_id = n.id) AS photos
FROM notices n
LEFT JOIN regions r ON r.code = n.scope
LEFT JOIN notices o ON o.id = n.replaces
LEFT JOIN notices nn ON nn.id = n.replaced_by
WHERE (CAST(:scope AS text) IS NULL OR n.scope IS NULL OR starts_with(n.scope, :scope)
       OR starts_with(:scope, n.scope))
  AND (CAST(:period AS text) IS NULL OR n.period = :period)
  AND (CAST(:state AS text) IS NULL OR n.state = :state)
  AND (CAST(:id AS bigint) IS NULL OR n.id = :id)
ORDER BY n.published_at DESC, n.id DESC
LIMIT :limit OFFSET :offset
