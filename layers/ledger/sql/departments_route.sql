-- The functional departments (职能部门) of each routed report in the relation the caller names (id, reported_at,
-- district_code, category_code, street_id, point_id), by the active department rules: a rule names a small class
-- or its whole top-level class, and may hold only at a point type or on a road class. A department named by two
-- rules is kept once, by its most specific rule. One department leads (主办): the one whose lead rule is the most
-- specific (a small class over a whole class, then a point type, then a road class; ties to the lower rule id);
-- the others a rule names as lead assist (协办). `ccgrid_intake` (layers/ledger/sql/ccgrid_intake.sql) does the
-- same for one report.
INSERT INTO problem_departments (problem_id, problem_reported_at, district_code, unit_id, duty, rule_id)
SELECT m.id, m.reported_at, m.district_code, m.unit_id,
       CASE WHEN m.duty = 'lead' AND row_number() OVER (PARTITION BY m.id ORDER BY m.duty = 'lead' DESC,
                                                        m.specific DESC, m.rule_id) = 1
            THEN 'lead' ELSE 'assist' END,
       m.rule_id
FROM (
    SELECT DISTINCT ON (p.id, d.unit_id) p.id, p.reported_at, p.district_code, d.unit_id, d.duty, d.id AS rule_id,
           ccgrid_department_rule_rank(d.category_code, d.point_type, d.road_class) AS specific
    FROM {rows} p
    JOIN problem_categories c ON c.code = p.category_code
    LEFT JOIN assessment_points ap ON ap.id = p.point_id
    LEFT JOIN streets s ON s.id = p.street_id
    JOIN department_rules d ON d.active
         AND (d.category_code IS NULL OR d.category_code = c.code OR d.category_code = c.parent_code)
         AND (d.point_type IS NULL OR d.point_type = ap.point_type)
         AND (d.road_class IS NULL OR d.road_class = s.road_class)
    JOIN units u ON u.id = d.unit_id AND u.active
    ORDER BY p.id, d.unit_id, d.duty = 'lead' DESC,
             ccgrid_department_rule_rank(d.category_code, d.point_type, d.road_class) DESC, d.id) m
