-- The photos of one problem (inside the caller's region :s), oldest first: who uploaded each (the account's name
-- when an account did), at which step, and the action of the event that used it, if one did; its evidence flags
-- and how far from the problem's point it was taken (metres, when it has a position).
SELECT f.id, f.created_at, f.created_by, f.step, st.name AS step_name, f.width, f.height, f.taken_at,
       u.display_name AS account_name, f.flags, f.gps_lon, f.gps_lat,
       round(ST_Distance(p.geom_m, ST_Transform(ST_SetSRID(ST_MakePoint(f.gps_lon, f.gps_lat), 4490),
                                                ST_SRID(p.geom_m)))::numeric)::int AS distance_m,
       (SELECT e.action FROM problem_events e WHERE e.problem_id = f.problem_id AND e.photo_id = f.id
        ORDER BY e.id LIMIT 1) AS used_by
FROM problem_photos f
JOIN problems p ON p.id = f.problem_id
LEFT JOIN problem_statuses st ON st.code = f.step
LEFT JOIN users u ON u.id = substring(f.created_by FROM '^user:([0-9]{1,9})')::integer
WHERE f.problem_id = :i AND (CAST(:s AS text) IS NULL OR starts_with(p.region_code, :s))
ORDER BY f.id
