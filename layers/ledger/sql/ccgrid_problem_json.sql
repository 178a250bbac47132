-- A problem with its owners, history and duplicates, as the JSON the API sends (layers/ledger/intake.py:get_json),
-- built by the database in one statement: one round trip, and no per-field encoding in Python. `p_c`: with the
-- reporter, the contact and the owners' phones (roles that see personal data).
--
-- Its plan is kept, generic, and prunes the partitions at run time (planning the query for a dozen monthly
-- partitions on every call took 1.6 of its 2 ms). Without `p_t` it looks up the report's month first. VOLATILE
-- (it only reads): so it sees a report written earlier in the same statement (intake's answer).
--
-- The row's columns are those of the listing (layers/ledger/sql/problem_row.sql); the two branches differ only
-- in the reporter's columns, which the public branch leaves out of the JSON altogether.
CREATE OR REPLACE FUNCTION ccgrid_problem_json(p_i bigint, p_t timestamptz, p_scope text, p_c boolean)
RETURNS text LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
    -- Open and still with its owners (layers/ledger/filters.py:StatusFlags): not final, not fixed or verified.
    v_pending text[] := (SELECT coalesce(array_agg(code) FILTER (WHERE NOT final
                                                                 AND code <> ALL(ARRAY['rectified', 'verified'])),
                                         '{}')
                         FROM problem_statuses);
BEGIN
    p_t := coalesce(p_t, (SELECT reported_at FROM problems WHERE id = p_i));
    IF p_c THEN
        RETURN (SELECT to_json(x)::text FROM (
        SELECT p.id, p.external_id, p.category_code, c.name AS category_name, pc.name AS category_group,
               p.source, src.name AS source_name, p.status, st.name AS status_name, st.final,
               p.description, p.address, p.reporter, p.reporter_contact,
               ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, p.reported_at, p.region_code,
               p.district_code, p.grid_cell_id, p.grid_cell_code, p.street_id, s.name AS street_name,
               round(p.street_distance_m::numeric, 1)::float AS street_distance_m,
               p.point_id, ap.name AS point_name, ap.point_type, p.duplicate_of,
               (SELECT count(*) FROM problems d WHERE d.duplicate_of = p.id AND d.reported_at >= p.reported_at)::int
                   AS duplicates,
               p.dispatched_at, p.due_at, p.closed_at, p.rework_count, p.extension_count,
               (p.status = ANY(v_pending) AND p.due_at < now()) AS overdue,
               p.updated_at,
               ccgrid_problem_owners(p.id, p.reported_at, p_c) AS owners,
               (SELECT coalesce(json_agg(json_build_object(
                           'id', e.id, 'at', e.at, 'actor', e.actor, 'action', e.action, 'from_status', e.from_status,
                           'to_status', e.to_status, 'note', e.note, 'photo_id', e.photo_id, 'due_at', e.due_at,
                           'assignee_person_id', e.assignee_person_id, 'assignee_unit_id', e.assignee_unit_id)
                           ORDER BY e.id), '[]')
                FROM problem_events e WHERE e.problem_id = p.id) AS history,
               ARRAY(SELECT d.id FROM problems d WHERE d.duplicate_of = p.id AND d.reported_at >= p.reported_at
                     ORDER BY d.id) AS duplicate_ids,
               -- Its photos with their evidence flags (layers/ledger/photos.py), and the flags of all of them.
               ccgrid_problem_photos(p.id) AS photos,
               ARRAY(SELECT DISTINCT x.flag FROM problem_photos f, unnest(f.flags) AS x(flag)
                     WHERE f.problem_id = p.id ORDER BY x.flag) AS evidence_flags,
               (SELECT count(*) FROM problem_photos f WHERE f.problem_id = p.id AND f.flags <> '{}')::int
                   AS evidence_flagged_photos
        FROM problems p
        JOIN problem_categories c ON c.code = p.category_code
        LEFT JOIN problem_categories pc ON pc.code = c.parent_code
        JOIN problem_sources src ON src.code = p.source
        JOIN problem_statuses st ON st.code = p.status
        LEFT JOIN streets s ON s.id = p.street_id
        LEFT JOIN assessment_points ap ON ap.id = p.point_id
        WHERE p.id = p_i AND p.reported_at = p_t AND (p_scope IS NULL OR starts_with(p.region_code, p_scope))
    ) x);
    END IF;
    RETURN (SELECT to_json(x)::text FROM (
        SELECT p.id, p.external_id, p.category_code, c.name AS category_name, pc.name AS category_group,
               p.source, src.name AS source_name, p.status, st.name AS status_name, st.final,
               p.description, p.address, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, p.reported_at, p.region_code,
               p.district_code, p.grid_cell_id, p.grid_cell_code, p.street_id, s.name AS street_name,
               round(p.street_distance_m::numeric, 1)::float AS street_distance_m,
               p.point_id, ap.name AS point_name, ap.point_type, p.duplicate_of,
               (SELECT count(*) FROM problems d WHERE d.duplicate_of = p.id AND d.reported_at >= p.reported_at)::int
                   AS duplicates,
               p.dispatched_at, p.due_at, p.closed_at, p.rework_count, p.extension_count,
               (p.status = ANY(v_pending) AND p.due_at < now()) AS overdue,
               p.updated_at,
               ccgrid_problem_owners(p.id, p.reported_at, p_c) AS owners,
               (SELECT coalesce(json_agg(json_build_object(
                           'id', e.id, 'at', e.at, 'actor', e.actor, 'action', e.action, 'from_status', e.from_status,
                           'to_status', e.to_status, 'note', e.note, 'photo_id', e.photo_id, 'due_at', e.due_at,
                           'assignee_person_id', e.assignee_person_id, 'assignee_unit_id', e.assignee_unit_id)
                           ORDER BY e.id), '[]')
                FROM problem_events e WHERE e.problem_id = p.id) AS history,
               ARRAY(SELECT d.id FROM problems d WHERE d.duplicate_of = p.id AND d.reported_at >= p.reported_at
                     ORDER BY d.id) AS duplicate_ids,
               -- Its photos with their evidence flags (layers/ledger/photos.py), and the flags of all of them.
               ccgrid_problem_photos(p.id) AS photos,
               ARRAY(SELECT DISTINCT x.flag FROM problem_photos f, unnest(f.flags) AS x(flag)
                     WHERE f.problem_id = p.id ORDER BY x.flag) AS evidence_flags,
               (SELECT count(*) FROM problem_photos f WHERE f.problem_id = p.id AND f.flags <> '{}')::int
                   AS evidence_flagged_photos
        FROM problems p
        JOIN problem_categories c ON c.code = p.category_code
        LEFT JOIN problem_categories pc ON pc.code = c.parent_code
        JOIN problem_sources src ON src.code = p.source
        JOIN problem_statuses st ON st.code = p.status
        LEFT JOIN streets s ON s.id = p.street_id
        LEFT JOIN assessment_points ap ON ap.id = p.point_id
        WHERE p.id = p_i AND p.reported_at = p_t AND (p_scope IS NULL OR starts_with(p.region_code, p_scope))
    ) x);
END
$fn$
