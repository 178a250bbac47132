-- 点位台账 (layers/ledger/ledgers.py:export): each assessment point in `scope`, its owners today, its last
-- inspection and its reports between `since` and `until`.
SELECT ap.code AS "编码", ap.name AS "名称", ap.point_type AS "类型", g.name AS "所属社区",
       (SELECT string_agg(r.name || '：' || coalesce(pp.name, u.name), '；' ORDER BY r.sort)
        FROM assignments_on(current_date) a JOIN owner_roles r ON r.code = a.role
        LEFT JOIN people pp ON pp.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
        WHERE a.layer = 'assessment_points' AND a.feature_id = ap.id) AS "责任人",
       (SELECT max(v.visited_at) FROM inspection_visits v WHERE v.point_id = ap.id) AS "最近检查",
       (SELECT v.score FROM inspection_visits v WHERE v.point_id = ap.id
        ORDER BY v.visited_at DESC LIMIT 1) AS "最近得分",
       (SELECT count(*) FROM problems p WHERE p.point_id = ap.id AND p.duplicate_of IS NULL
          AND p.reported_at >= :since AND p.reported_at < :until) AS "期内问题数"
FROM assessment_points ap LEFT JOIN regions g ON g.code = ap.region_code
WHERE coalesce(ap.region_code, '') LIKE :scope || '%'
ORDER BY ap.point_type, ap.code LIMIT :limit
