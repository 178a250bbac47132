-- Each piece's two ends to their node.
UPDATE graph_pieces p SET source = s.id, target = t.id
FROM graph_clusters cs JOIN graph_new_nodes s ON s.cid = cs.cid,
     graph_clusters ct JOIN graph_new_nodes t ON t.cid = ct.cid
WHERE cs.line_id = p.line_id AND cs.piece = p.piece AND cs.at = 0
  AND ct.line_id = p.line_id AND ct.piece = p.piece AND ct.at = 1
