-- The states drawn for the demo problems (temp table demo_state) written onto them.
UPDATE problems p SET status = d.status, dispatched_at = d.dispatched_at, due_at = d.due_at,
       closed_at = d.closed_at, rework_count = d.rework
FROM demo_state d WHERE p.id = d.id
