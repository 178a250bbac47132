-- One uploaded photo of problem :p (layers/ledger/photos.py:attach), with its evidence flags when it is evidence of
-- the rectification (uploaded at one of :evidence_steps): `taken_before_report` when taken more than :tolerance_s
-- seconds before the problem was reported, `far_from_place` when its GPS (WGS84, taken as CGCS2000: they differ by
-- centimetres) lies more than :max_m metres from the problem's point, measured on geom_m (the city's metric CRS).
-- Without a capture time or a position, that flag is not set.
INSERT INTO problem_photos (problem_id, problem_reported_at, district_code, path, mime, bytes, sha256, created_by,
                            created_at, token_id, step, event_id, phash, width, height, taken_at, gps_lon, gps_lat,
                            flags)
SELECT p.id, p.reported_at, p.district_code, :path, 'image/jpeg', :n, :h, :a, clock_timestamp(), :tok,
       CAST(:step AS text), :ev, :ph, :w, :hh, CAST(:taken AS timestamptz), CAST(:lon AS double precision),
       CAST(:lat AS double precision),
       CASE WHEN CAST(:step AS text) = ANY(CAST(:evidence_steps AS text[])) THEN ARRAY(
           SELECT x.flag FROM (VALUES
               (1, 'taken_before_report',
                CAST(:taken AS timestamptz) < p.reported_at - make_interval(secs => CAST(:tolerance_s AS integer))),
               (2, 'far_from_place',
                ST_Distance(p.geom_m, ST_Transform(ST_SetSRID(ST_MakePoint(CAST(:lon AS double precision),
                                                                           CAST(:lat AS double precision)), 4490),
                                                   ST_SRID(p.geom_m))) > CAST(:max_m AS double precision))
           ) AS x(n, flag, hit) WHERE x.hit ORDER BY x.n)
       ELSE '{}' END
FROM problems p
WHERE p.id = :p AND p.reported_at = :rat
RETURNING id, problem_id, mime, bytes, width, height, taken_at, step, created_at, gps_lon, gps_lat, flags
