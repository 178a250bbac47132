-- One calendar file's changes at once: a day given as a working day or a day off is stored (or replaced); a day
-- given without (is_workday NULL: a year's list replaced by one that does not name it) loses its exception.
WITH given AS (
    SELECT * FROM unnest(CAST(:days AS date[]), CAST(:workdays AS boolean[]), CAST(:notes AS text[]))
        AS g(day, is_workday, note)
), dropped AS (
    DELETE FROM work_calendar w USING given g WHERE w.day = g.day AND g.is_workday IS NULL RETURNING w.day
)
INSERT INTO work_calendar (day, is_workday, note)
SELECT day, is_workday, note FROM given WHERE is_workday IS NOT NULL
ON CONFLICT (day) DO UPDATE SET is_workday = EXCLUDED.is_workday, note = EXCLUDED.note
