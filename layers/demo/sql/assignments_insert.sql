-- The demo's assignments, one row per feature (executemany).
INSERT INTO assignments (role, person_id, unit_id, layer, feature_id, valid_from, valid_to, street_group,
                         created_by)
VALUES (:role, :person_id, :unit_id, :layer, :feature_id, :valid_from, :valid_to, :street_group, 'demo')
