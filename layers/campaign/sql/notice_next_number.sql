-- The next number of a kind of document in a year (layers/campaign/notice_numbering.py): the counter row is
-- created at 1 or incremented under its row lock, so concurrent writers queue and a rollback gives the number back.
WITH n AS (
    INSERT INTO document_numbers (kind, year, last) VALUES (:kind, :year, 1)
    ON CONFLICT (kind, year) DO UPDATE SET last = document_numbers.last + 1
    RETURNING kind, last)
SELECT n.last, s.prefix, s.issuer FROM n JOIN document_series s ON s.kind = n.kind
