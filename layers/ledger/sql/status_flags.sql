-- The statuses behind "open" and "overdue" (layers/ledger/filters.py:flag_params): `final` (closed 销号, rejected
-- 不予立案) and `pending`, open and still with its owners (not final, and not yet rectified or verified).
-- ccgrid_problem_json.sql reads `pending` the same way.
SELECT coalesce(array_agg(code) FILTER (WHERE final), '{}') AS final,
       coalesce(array_agg(code) FILTER (WHERE NOT final AND code <> ALL(ARRAY['rectified', 'verified'])), '{}')
           AS pending
FROM problem_statuses
