-- A track without fix times as one stretch (`wkt`) from `s` to `e`: metres in the city's metric CRS, and
-- seconds (layers/ledger/inspections.py:_check_speed).
SELECT 0 AS i, ST_Length(ST_Transform(ST_GeomFromText(:wkt, 4490), ccgrid_metric_srid())) AS m,
       extract(epoch FROM CAST(:e AS timestamptz) - CAST(:s AS timestamptz)) AS s
