-- The lines whose ends may snap onto a line being split: every line within the tolerance of one (incremental).
CREATE TEMP TABLE graph_near ON COMMIT DROP AS
SELECT DISTINCT l.id, l.geom, l.exact
FROM graph_targets t JOIN graph_lines tl ON tl.id = t.id
JOIN graph_lines l ON ST_DWithin(l.geom, tl.geom, :tol)
