-- Staging check (layers/spatial/writer.py): each row returned is (row_no, field, reason) for a row not written.
-- A cell left without a code: its community has no free serial.
SELECT row_no, 'code', 'community ' || community_code || ' has no free 3-digit serial left (999 cells)'
FROM stage WHERE code IS NULL OR length(code) <> 15
