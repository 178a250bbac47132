-- 问题台账 (layers/ledger/ledgers.py:export): each first report (not a duplicate) in `scope` reported between
-- `since` and `until`, with its primary owners and 主办 department; `department`
-- (a unit, or NULL) keeps only the problems routed to it.
SELECT p.id AS "编号", pc.name || '/' || c.name AS "类别", src.name AS "来源", g.name AS "所属社区",
       s.name AS "路段", ap.name AS "点位", p.description AS "描述",
       (SELECT string_agg(DISTINCT r.name || '：' || coalesce(pp.name, u.name), '；')
        FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id JOIN owner_roles r ON r.code = a.role
        LEFT JOIN people pp ON pp.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
        WHERE po.problem_id = p.id AND r.is_primary) AS "责任人",
       (SELECT string_agg(du.name, '；' ORDER BY du.name) FROM problem_departments pd
        JOIN units du ON du.id = pd.unit_id
        WHERE pd.problem_id = p.id AND pd.problem_reported_at = p.reported_at AND pd.duty = 'lead') AS "主办部门",
       st.name AS "状态", p.reported_at AS "上报时间", p.dispatched_at AS "派遣时间", p.due_at AS "整改时限",
       p.closed_at AS "销号时间"
FROM problems p JOIN problem_categories c ON c.code = p.category_code
JOIN problem_categories pc ON pc.code = c.parent_code JOIN problem_sources src ON src.code = p.source
JOIN problem_statuses st ON st.code = p.status LEFT JOIN regions g ON g.code = p.region_code
LEFT JOIN streets s ON s.id = p.street_id LEFT JOIN assessment_points ap ON ap.id = p.point_id
WHERE p.duplicate_of IS NULL AND coalesce(p.region_code, '') LIKE :scope || '%'
  AND p.reported_at >= :since AND p.reported_at < :until
  AND (CAST(:department AS int) IS NULL OR EXISTS (
      SELECT 1 FROM problem_departments pd WHERE pd.problem_id = p.id AND pd.problem_reported_at = p.reported_at
      AND pd.unit_id = :department))
ORDER BY p.id LIMIT :limit
