-- Staging check (layers/spatial/writer.py): each row returned is (row_no, field, reason) for a row not written.
-- The same code twice in one write: the first row keeps it.
SELECT row_no, 'code', 'duplicate code ' || code || ' (first used in row ' || first_row || ')'
FROM (SELECT row_no, code, min(row_no) OVER (PARTITION BY code) AS first_row FROM stage) d
WHERE row_no <> first_row
