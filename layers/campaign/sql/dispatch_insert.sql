-- One 交办单 and its items (layers/campaign/dispatch_service.py:create). An item's deadline is the sheet's when
-- it has one, else the problem's own deadline when it was listed.
WITH sheet AS (
    INSERT INTO dispatch_sheets (number, year, seq, title, person_id, unit_id, region_code, deadline, note, source,
                                 source_query, created_by)
    VALUES (:number, :year, :seq, :title, :person_id, :unit_id, :region_code, :deadline, :note, :source,
            CAST(:source_query AS jsonb), :actor)
    RETURNING id),
items AS (
    INSERT INTO dispatch_items (sheet_id, seq, problem_id, problem_reported_at, deadline)
    SELECT sheet.id, x.n, x.problem_id, x.reported_at, coalesce(CAST(:deadline AS timestamptz), x.due_at)
    FROM sheet, unnest(CAST(:ids AS bigint[]), CAST(:reported AS timestamptz[]), CAST(:dues AS timestamptz[]))
         WITH ORDINALITY AS x(problem_id, reported_at, due_at, n)
    RETURNING 1)
SELECT id, (SELECT count(*) FROM items) AS items FROM sheet
