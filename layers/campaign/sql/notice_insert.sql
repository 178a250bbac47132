-- One published 通报 (layers/campaign/notice_service.py:publish); its photos follow in notice_photo_insert.sql.
INSERT INTO notices (number, year, seq, title, period, period_kind, period_start, period_end, scope, snapshot,
                     digest, published_by, published_at, replaces)
VALUES (:number, :year, :seq, :title, :period, :period_kind, :period_start, :period_end, :scope,
        CAST(:snapshot AS jsonb), :digest, :published_by, :published_at, :replaces)
RETURNING id
