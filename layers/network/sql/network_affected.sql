-- The streets to split again after a write to `ids`: those of them still there, and every street within the snap
-- tolerance of one of them, as it lies now or as its edges lay before (a street moved away leaves its old
-- neighbours to be joined again without it).
SELECT s.id FROM streets s WHERE s.id = ANY(:ids)
UNION
SELECT n.id FROM streets s JOIN streets n ON ST_DWithin(n.geom_m, s.geom_m, :tol) WHERE s.id = ANY(:ids)
UNION
SELECT n.id FROM network_edges e JOIN streets n ON ST_DWithin(n.geom_m, e.geom_m, :tol) WHERE e.street_id = ANY(:ids)
