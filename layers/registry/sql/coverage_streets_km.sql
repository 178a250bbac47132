-- After coverage_status: kilometres of street with every required role held, and without.
, seg AS (SELECT id, max(length_m) AS len, bool_and(covered) AS ok FROM status
          WHERE layer = 'streets' GROUP BY id)
SELECT coalesce(sum(len) FILTER (WHERE ok), 0) / 1000 AS covered_km,
       coalesce(sum(len) FILTER (WHERE NOT ok), 0) / 1000 AS uncovered_km FROM seg
