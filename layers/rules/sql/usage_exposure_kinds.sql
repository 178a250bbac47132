-- What names exposure kind :code.
SELECT 'sources' AS what, count(*) AS n FROM problem_sources WHERE exposure_kind = :code
UNION ALL SELECT 'escalation records', count(*) FROM escalations WHERE kind = :code
