-- What names problem source :code: reports (counted up to 1000; the column has no index, so this reads reports
-- until it finds some: a delete is rare, every report's write would pay for an index).
SELECT 'problems' AS what, (SELECT count(*) FROM (SELECT 1 FROM problems WHERE source = :code LIMIT 1000) x) AS n
