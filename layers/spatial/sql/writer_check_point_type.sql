-- Staging check (layers/spatial/writer.py): each row returned is (row_no, field, reason) for a row not written.
-- An assessment point of a type not in point_types.
SELECT s.row_no, 'point_type', 'unknown assessment point type ' || quote_literal(s.point_type)
FROM stage s WHERE NOT EXISTS (SELECT 1 FROM point_types t WHERE t.name = s.point_type)
