-- Street kilometres per region code (a street counts in the region of its midpoint), and of those the kilometres
-- a coverage rule requires a 街长 for, and the part of those without one: the coverage report's definition.
, seg AS (
    SELECT id, bool_and(covered) AS ok FROM status WHERE layer = 'streets' AND role_family = 'street_chief'
    GROUP BY id)
SELECT coalesce(s.region_code, '') AS code, sum(s.length_m) / 1000 AS road_km,
       coalesce(sum(s.length_m) FILTER (WHERE seg.id IS NOT NULL), 0) / 1000 AS chief_required_km,
       coalesce(sum(s.length_m) FILTER (WHERE NOT seg.ok), 0) / 1000 AS no_chief_km
FROM streets s LEFT JOIN seg ON seg.id = s.id
WHERE coalesce(s.region_code, '') LIKE :scope || '%'
GROUP BY coalesce(s.region_code, '')
