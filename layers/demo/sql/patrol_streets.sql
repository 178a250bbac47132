-- Named urban streets of the county town as walked in one go (segments merged where they join up).
SELECT name, ST_AsText(line) AS line, ST_Length(ST_Transform(line, ccgrid_metric_srid())) AS metres
FROM (SELECT name, (ST_Dump(ST_LineMerge(ST_Collect(geom ORDER BY id)))).geom AS line FROM streets
      WHERE region_code LIKE :d || '%' AND length(region_code) = 12
        AND left(region_code, 7) = :core AND name IS NOT NULL
      GROUP BY name) q
ORDER BY name, metres DESC
