-- Mark what patrol `id` passed (layers/ledger/inspections.py:record): the streets within `street_reach` m and
-- the assessment points within `point_reach` m of its track, inside the caller's region (`scope`). The track
-- carries its times as M values (epoch seconds): the fixes' own times when the app sent them (`measured`, WKT),
-- else spread evenly along the track between start and end. A place passed counts as inspected at the time of
-- the track's nearest point to it.
WITH pt AS (
    SELECT id, track_m,
           CASE WHEN CAST(:measured AS text) IS NULL
                THEN ST_AddMeasure(track_m, extract(epoch FROM started_at), extract(epoch FROM ended_at))
                ELSE ST_Transform(ST_GeomFromText(CAST(:measured AS text), 4490), ccgrid_metric_srid()) END AS tm
    FROM patrols WHERE id = :id)
INSERT INTO patrol_hits (patrol_id, layer, feature_id, at)
SELECT pt.id, 'streets', s.id, to_timestamp(ST_InterpolatePoint(pt.tm, ST_ClosestPoint(pt.track_m, s.geom_m)))
FROM pt JOIN streets s ON ST_DWithin(s.geom_m, pt.track_m, :street_reach)
WHERE starts_with(coalesce(s.region_code, ''), :scope)
UNION ALL
SELECT pt.id, 'assessment_points', ap.id,
       to_timestamp(ST_InterpolatePoint(pt.tm, ST_ClosestPoint(pt.track_m, ST_PointOnSurface(ap.geom_m))))
FROM pt JOIN assessment_points ap ON ST_DWithin(ap.geom_m, pt.track_m, :point_reach)
WHERE starts_with(coalesce(ap.region_code, ''), :scope)
