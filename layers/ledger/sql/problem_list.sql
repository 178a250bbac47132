-- Problems as the API lists them (layers/ledger/intake.py:search), the caller's conditions and order appended.
-- `pending` is the statuses still with their owners (layers/ledger/filters.py:StatusFlags). The reporter and
-- contact are dropped from the rows for roles that do not see personal data. ccgrid_problem_json.sql writes out
-- the same columns for one problem.
SELECT p.id, p.external_id, p.category_code, c.name AS category_name, pc.name AS category_group,
       p.source, src.name AS source_name, p.status, st.name AS status_name, st.final,
       p.description, p.address, p.reporter, p.reporter_contact,
       ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, p.reported_at, p.region_code, p.district_code,
       p.grid_cell_id, p.grid_cell_code, p.street_id, s.name AS street_name,
       round(p.street_distance_m::numeric, 1)::float AS street_distance_m,
       p.point_id, ap.name AS point_name, ap.point_type, p.duplicate_of,
       -- Counted from the links (the partial index on duplicate_of; duplicates come after their master), so no
       -- counter on the master is updated, and locked, for each duplicate.
       (SELECT count(*) FROM problems d WHERE d.duplicate_of = p.id AND d.reported_at >= p.reported_at)::int
           AS duplicates,
       p.dispatched_at, p.due_at, p.closed_at, p.rework_count, p.extension_count,
       (p.status = ANY(:pending) AND p.due_at < now()) AS overdue,
       p.updated_at
FROM problems p
JOIN problem_categories c ON c.code = p.category_code
LEFT JOIN problem_categories pc ON pc.code = c.parent_code
JOIN problem_sources src ON src.code = p.source
JOIN problem_statuses st ON st.code = p.status
LEFT JOIN streets s ON s.id = p.street_id
LEFT JOIN assessment_points ap ON ap.id = p.point_id
