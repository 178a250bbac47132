-- The list page's export (layers/ledger/listing.py:export): the filtered problems with the columns the list shows,
-- the caller's condition, order and limit appended. Times in the city's time zone are the writer's job.
SELECT p.id AS "编号", coalesce(pc.name || '/', '') || c.name AS "类别", sd.name AS "街道", cm.name AS "社区",
       p.address AS "地址", s.name AS "路段", ap.name AS "点位", src.name AS "来源", st.name AS "状态",
       p.reported_at AS "上报时间", p.due_at AS "整改时限",
       CASE WHEN p.status = ANY(:pending) AND p.due_at < now() THEN '是' ELSE '' END AS "超期",
       p.closed_at AS "销号时间",
       (SELECT string_agg(DISTINCT r.name || '：' || coalesce(pp.name, u.name), '；')
        FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id JOIN owner_roles r ON r.code = a.role
        LEFT JOIN people pp ON pp.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
        WHERE po.problem_id = p.id AND r.is_primary) AS "责任人",
       p.description AS "描述"
FROM problems p
JOIN problem_categories c ON c.code = p.category_code
LEFT JOIN problem_categories pc ON pc.code = c.parent_code
JOIN problem_sources src ON src.code = p.source
JOIN problem_statuses st ON st.code = p.status
LEFT JOIN regions sd ON sd.code = left(p.region_code, 9) AND sd.level = 'subdistrict'
LEFT JOIN regions cm ON cm.code = left(p.region_code, 12) AND cm.level = 'community'
LEFT JOIN streets s ON s.id = p.street_id
LEFT JOIN assessment_points ap ON ap.id = p.point_id
