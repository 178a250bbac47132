-- The period's numbers at the head of a 通报, inside `scope`: first reports received, dispatched and closed in the
-- period [since, until), and open problems overdue at :at (when it is published).
SELECT (SELECT count(*) FROM problems p WHERE p.reported_at >= :since AND p.reported_at < :until
          AND p.duplicate_of IS NULL AND coalesce(p.region_code, '') LIKE :scope || '%') AS reported,
       (SELECT count(*) FROM problems p WHERE p.dispatched_at >= :since AND p.dispatched_at < :until
          AND p.duplicate_of IS NULL AND coalesce(p.region_code, '') LIKE :scope || '%') AS dispatched,
       (SELECT count(*) FROM problems p WHERE p.closed_at >= :since AND p.closed_at < :until
          AND p.status = 'closed' AND p.duplicate_of IS NULL
          AND coalesce(p.region_code, '') LIKE :scope || '%') AS closed,
       (SELECT count(*) FROM problems p WHERE p.status = ANY(:pending) AND p.due_at < :at
          AND p.duplicate_of IS NULL AND coalesce(p.region_code, '') LIKE :scope || '%') AS overdue
