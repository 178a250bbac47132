-- Staging check (layers/spatial/writer.py): each row returned is (row_no, field, reason) for a row not written.
-- A region below district level whose parent region is neither stored nor staged.
SELECT s.row_no, 'code', 'parent region ' || left(s.code, length(s.code) - 3) || ' not found'
FROM stage s
WHERE s.level <> 'district'
  AND NOT EXISTS (SELECT 1 FROM regions p WHERE p.code = left(s.code, length(s.code) - 3))
  AND NOT EXISTS (SELECT 1 FROM stage p WHERE p.code = left(s.code, length(s.code) - 3))
