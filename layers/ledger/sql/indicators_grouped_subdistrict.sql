-- 街道: a report's first 9 digits of region code.
SELECT r.code AS key, r.name AS name, f.* FROM facts f JOIN regions r ON r.code = left(f.region_code, 9)
