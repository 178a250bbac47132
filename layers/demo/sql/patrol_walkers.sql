-- People whose role patrols streets or grid cells today.
SELECT DISTINCT p.id, p.name FROM assignments_on(current_date) a JOIN people p ON p.id = a.person_id
WHERE a.role IN ('subdistrict_street_chief', 'road_chief', 'grid_worker') ORDER BY p.id
