-- The photos of the exposed problems a 通报 shows: each problem's first (the report's) and its newest, oldest first.
SELECT id, problem_id FROM (
    SELECT f.id, f.problem_id,
           row_number() OVER (PARTITION BY f.problem_id ORDER BY f.id) AS first,
           row_number() OVER (PARTITION BY f.problem_id ORDER BY f.id DESC) AS last
    FROM problem_photos f WHERE f.problem_id = ANY(:ids)) ph
WHERE first = 1 OR last = 1
ORDER BY problem_id, id
