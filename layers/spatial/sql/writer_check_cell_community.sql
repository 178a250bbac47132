-- Staging check (layers/spatial/writer.py): each row returned is (row_no, field, reason) for a row not written.
-- A cell with no community: none given and none contains it, or the given one is unknown.
SELECT row_no, 'community_code',
       CASE WHEN community_code IS NULL THEN 'the cell is not inside any community'
            ELSE 'community ' || community_code || ' not found' END
FROM stage WHERE community_id IS NULL
