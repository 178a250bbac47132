-- What the list page shows beside each row of problem_list.sql (layers/ledger/listing.py:row_details): the 街道 and
-- 社区 it was routed to (the region code's first 9 and 12 digits), its primary owners as routed, then its 主办
-- departments.
SELECT p.id, sd.name AS subdistrict_name, cm.name AS community_name,
       ARRAY(SELECT DISTINCT r.name || '：' || coalesce(pp.name, u.name)
             FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id
             JOIN owner_roles r ON r.code = a.role
             LEFT JOIN people pp ON pp.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
             WHERE po.problem_id = p.id AND r.is_primary)
       || ARRAY(SELECT '主办部门：' || du.name FROM problem_departments pd JOIN units du ON du.id = pd.unit_id
                WHERE pd.problem_id = p.id AND pd.problem_reported_at = p.reported_at AND pd.duty = 'lead'
                ORDER BY du.name) AS owners
FROM problems p
LEFT JOIN regions sd ON sd.code = left(p.region_code, 9) AND sd.level = 'subdistrict'
LEFT JOIN regions cm ON cm.code = left(p.region_code, 12) AND cm.level = 'community'
WHERE p.id = ANY(:ids)
