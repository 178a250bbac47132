-- What names checklist item :id: the results of visits that checked it.
SELECT 'inspection results' AS what, count(*) AS n FROM inspection_results WHERE item_id = :id
