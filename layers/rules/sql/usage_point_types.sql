-- What names point type :name.
SELECT 'assessment points' AS what, count(*) AS n FROM assessment_points WHERE point_type = :name
UNION ALL SELECT 'checklist items', count(*) FROM checklist_items WHERE point_type = :name
UNION ALL SELECT 'coverage rules', count(*) FROM coverage_rules
          WHERE layer = 'assessment_points' AND filter_column = 'point_type' AND filter_value = :name
UNION ALL SELECT 'department rules', count(*) FROM department_rules WHERE point_type = :name
UNION ALL SELECT 'assessment round quotas', count(*) FROM assessment_round_quotas WHERE point_type = :name
