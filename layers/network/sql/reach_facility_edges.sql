-- The edges with a facility on them: the stretch around each facility merged with the stretches from the ends.
CREATE TEMP TABLE reach_facility_edges ON COMMIT DROP AS
WITH fac AS (
    SELECT s.k, s.edge_id, greatest(0, s.f - (t.limit_m - s.access_m) / s.length_m) AS lo,
           least(1, s.f + (t.limit_m - s.access_m) / s.length_m) AS hi, s.access_m AS near
    FROM reach_sources s JOIN reach_types t ON t.k = s.k WHERE s.access_m <= t.limit_m),
mixed AS (
    SELECT * FROM fac
    UNION ALL
    SELECT sp.k, sp.edge_id, 0, CASE WHEN sp.a >= sp.b THEN 1 ELSE sp.a END,
           CASE WHEN sp.a >= sp.b THEN least(sp.ds, sp.dt) ELSE sp.ds END
    FROM reach_spans sp WHERE sp.a IS NOT NULL AND EXISTS (SELECT 1 FROM fac WHERE fac.k = sp.k AND fac.edge_id = sp.edge_id)
    UNION ALL
    SELECT sp.k, sp.edge_id, sp.b, 1, sp.dt
    FROM reach_spans sp WHERE sp.b IS NOT NULL AND (sp.a IS NULL OR sp.a < sp.b)
      AND EXISTS (SELECT 1 FROM fac WHERE fac.k = sp.k AND fac.edge_id = sp.edge_id)),
ordered AS (
    SELECT *, max(hi) OVER (PARTITION BY k, edge_id ORDER BY lo, hi
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_hi FROM mixed),
grouped AS (
    SELECT *, sum(CASE WHEN prev_hi IS NULL OR lo > prev_hi THEN 1 ELSE 0 END)
                  OVER (PARTITION BY k, edge_id ORDER BY lo, hi) AS grp FROM ordered)
SELECT k, edge_id, min(lo) AS lo, max(hi) AS hi, min(near) AS near_m FROM grouped GROUP BY k, edge_id, grp
