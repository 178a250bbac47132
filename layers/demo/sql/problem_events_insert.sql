-- The demo problems' events (executemany).
INSERT INTO problem_events (problem_id, at, actor, action, from_status, to_status, note, photo_id, due_at)
VALUES (:p, :at, 'demo', :a, :f, :t, :n, :photo, :due)
