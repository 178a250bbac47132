-- What names level :level of the :party ladder: the escalation records that reached it.
SELECT 'escalation records' AS what, count(*) AS n FROM escalations WHERE party = :party AND level = :level
