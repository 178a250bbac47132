-- Each feature that some active rule applies to, with whether that rule is met on the day `on`.
-- A shared head: every coverage query (here and in layers/analytics/gaps.py) is this WITH plus its own SELECT;
-- its parameters are on, layer, family and scope (bound, never spliced in).
WITH cur AS (
    SELECT a.layer, a.feature_id, r.family FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role),
rules AS (
    SELECT * FROM coverage_rules
    WHERE active AND (CAST(:layer AS text) IS NULL OR layer = :layer)
      AND (CAST(:family AS text) IS NULL OR role_family = :family)),
status AS (
    SELECT f.layer, f.id, f.code, f.name, f.region_code, f.kind, f.length_m, rl.id AS rule_id, rl.role_family,
           EXISTS (SELECT 1 FROM cur WHERE cur.layer = f.layer AND cur.feature_id = f.id
                   AND cur.family = rl.role_family) AS covered
    FROM ownable_features f
    JOIN rules rl ON rl.layer = f.layer AND (rl.filter_value IS NULL OR rl.filter_value = f.kind)
    WHERE coalesce(f.region_code, '') LIKE :scope || '%')
