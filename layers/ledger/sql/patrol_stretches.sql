-- Each stretch between two fixes of a track (`wkt`, with one time per fix in `times`): metres in the city's
-- metric CRS, and seconds (layers/ledger/inspections.py:_check_speed).
WITH t AS (SELECT ST_Transform(ST_GeomFromText(:wkt, 4490), ccgrid_metric_srid()) AS g,
                  CAST(:times AS timestamptz[]) AS at)
SELECT (d.path)[1] AS i, ST_Length(d.geom) AS m, extract(epoch FROM t.at[(d.path)[1] + 1] - t.at[(d.path)[1]]) AS s
FROM t, ST_DumpSegments(t.g) d
