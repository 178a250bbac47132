-- A problem's photos as the JSON array the API sends (layers/ledger/sql/ccgrid_problem_json.sql), each with the
-- step it was taken in, its capture time and position, and its evidence flags (layers/ledger/photos.py).
CREATE OR REPLACE FUNCTION ccgrid_problem_photos(p_id bigint)
RETURNS json LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    RETURN (SELECT coalesce(json_agg(json_build_object(
                       'id', f.id, 'step', f.step, 'created_at', f.created_at, 'taken_at', f.taken_at,
                       'gps_lon', f.gps_lon, 'gps_lat', f.gps_lat, 'flags', f.flags) ORDER BY f.id), '[]')
            FROM problem_photos f WHERE f.problem_id = p_id);
END
$fn$
