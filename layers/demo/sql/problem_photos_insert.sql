-- One shared demo photo per verified problem (re-inspection needs one).
INSERT INTO problem_photos (problem_id, path, mime, bytes, sha256, created_by)
SELECT unnest(CAST(:ids AS bigint[])), :path, 'image/png', :n, :h, 'demo'
RETURNING problem_id, id
