-- How specific a department rule is (layers/ledger/sql/departments_route.sql, ccgrid_intake.sql, escalation_run.sql):
-- a small class over a whole class, then a point type, then a road class. The most specific lead rule names a
-- problem's 主办 department, and the department escalation counts against.
CREATE OR REPLACE FUNCTION ccgrid_department_rule_rank(category_code text, point_type text, road_class text)
RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT (category_code IS NOT NULL AND length(category_code) > 2)::int * 4
           + (point_type IS NOT NULL)::int * 2 + (road_class IS NOT NULL)::int
$fn$
