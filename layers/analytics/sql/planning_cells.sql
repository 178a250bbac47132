-- Grid cell area per community: the built-up area when no built-up layer is imported.
SELECT region_code AS code, sum(area_m2) / 1e6 AS km2 FROM grid_cells
WHERE region_code LIKE :scope || '%' GROUP BY region_code
