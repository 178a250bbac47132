-- The pieces between consecutive cuts (cuts within eps of the one before are the same junction). A piece's ends
-- are set to its cut points exactly; two cuts at the same fraction (an end snapped away from where the line
-- stops) are joined by a straight connector.
CREATE TEMP TABLE graph_pieces ON COMMIT DROP AS
WITH ordered AS (
    SELECT line_id, f, rank, pt, lag(pt) OVER (PARTITION BY line_id ORDER BY f, rank) AS prev FROM graph_cuts),
kept AS (
    SELECT line_id, f, rank, pt FROM ordered WHERE prev IS NULL OR NOT ST_DWithin(prev, pt, :eps)),
pairs AS (
    SELECT line_id, f AS f0, pt AS p0, lead(f) OVER w AS f1, lead(pt) OVER w AS p1, row_number() OVER w AS piece
    FROM kept WINDOW w AS (PARTITION BY line_id ORDER BY f, rank)),
shaped AS (
    SELECT p.line_id, p.piece::int AS piece,
           CASE WHEN p.f1 > p.f0
                THEN ST_SetPoint(ST_SetPoint(ST_LineSubstring(l.geom, p.f0, p.f1), 0, p.p0), -1, p.p1)
                ELSE ST_MakeLine(p.p0, p.p1) END AS geom
    FROM pairs p JOIN graph_lines l ON l.id = p.line_id WHERE p.p1 IS NOT NULL)
SELECT line_id, piece, geom, NULL::bigint AS source, NULL::bigint AS target FROM shaped
WHERE ST_Length(geom) > :eps
