-- 整改台账 (layers/ledger/ledgers.py:export): each dispatched first report in `scope` dispatched between `since`
-- and `until`, with its primary owners and 主办 department; `department`
-- (a unit, or NULL) keeps only the problems routed to it. Fixed (整改完成) is the last rectification after any rework: the deadline
-- is for the fix, not for the paperwork after it. 虚假整改嫌疑: the evidence flags of its photos, by their names
-- (:flag_codes, :flag_names: layers/ledger/photos.py:EVIDENCE_FLAGS), empty when none is flagged.
SELECT p.id AS "编号", c.name AS "类别", g.name AS "所属社区",
       (SELECT string_agg(DISTINCT r.name || '：' || coalesce(pp.name, u.name), '；')
        FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id JOIN owner_roles r ON r.code = a.role
        LEFT JOIN people pp ON pp.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
        WHERE po.problem_id = p.id AND r.is_primary) AS "责任人",
       (SELECT string_agg(du.name, '；' ORDER BY du.name) FROM problem_departments pd
        JOIN units du ON du.id = pd.unit_id
        WHERE pd.problem_id = p.id AND pd.problem_reported_at = p.reported_at AND pd.duty = 'lead') AS "主办部门",
       p.dispatched_at AS "派遣时间", p.due_at AS "整改时限", fixed.at AS "整改完成", p.closed_at AS "销号时间",
       CASE WHEN fixed.at <= p.due_at THEN '按期'
            WHEN fixed.at IS NOT NULL THEN '超期完成'
            WHEN p.due_at < now() THEN '超期未完成' ELSE '整改中' END AS "是否按期",
       p.rework_count AS "返工次数", p.extension_count AS "延期次数", st.name AS "状态",
       (SELECT string_agg(n.name, '、' ORDER BY n.ord)
        FROM unnest(CAST(:flag_codes AS text[]), CAST(:flag_names AS text[])) WITH ORDINALITY AS n(code, name, ord)
        WHERE n.code = ANY(evidence.flags)) AS "虚假整改嫌疑"
FROM problems p JOIN problem_categories c ON c.code = p.category_code
JOIN problem_statuses st ON st.code = p.status LEFT JOIN regions g ON g.code = p.region_code
LEFT JOIN LATERAL (SELECT max(e.at) AS at FROM problem_events e
                   WHERE e.problem_id = p.id AND e.to_status = 'rectified') fixed ON true
LEFT JOIN LATERAL (SELECT array_agg(x.flag) AS flags FROM problem_photos f CROSS JOIN unnest(f.flags) AS x(flag)
                   WHERE f.problem_id = p.id) evidence ON true
WHERE p.duplicate_of IS NULL AND p.dispatched_at IS NOT NULL
  AND coalesce(p.region_code, '') LIKE :scope || '%'
  AND p.dispatched_at >= :since AND p.dispatched_at < :until
  AND (CAST(:department AS int) IS NULL OR EXISTS (
      SELECT 1 FROM problem_departments pd WHERE pd.problem_id = p.id AND pd.problem_reported_at = p.reported_at
      AND pd.unit_id = :department))
ORDER BY p.due_at, p.id LIMIT :limit
