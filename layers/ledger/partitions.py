"""The monthly partitions of the reports table (migration 0007): list them, create months ahead, archive old ones.

Archiving a month moves it out of the live ledger in one transaction: the rows that name its reports (events,
owners, photos, escalations, external ids) are moved to the same-named tables in schema `archive`, its counts leave
the pre-binned aggregates, and the partition itself is detached and moved to `archive` (no rows are copied: the
table is renamed into the other schema). The archive can be dumped and dropped with plain pg_dump/DROP.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gis.db import transaction
from gis.errors import DatabaseUnavailable, InvalidInput
from gis.settings import get_settings
from layers.ledger import bins
from layers.ledger.calendar import TZ

CHILDREN = ("problem_events", "problem_owners", "problem_photos", "escalations", "problem_external_ids")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month(value: str, field: str = "before") -> date:
    m = _MONTH.match(value or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidInput(f"{value!r} is not a month; write YYYY-MM, e.g. 2025-12", field=field)
    return date(int(m.group(1)), int(m.group(2)), 1)


def partitions(session: Session) -> list[dict[str, Any]]:
    """Each live month: its table, first day, reports and size."""
    rows = session.execute(text("""
        SELECT c.relname AS name, to_date(right(c.relname, 6), 'YYYYMM') AS month,
               coalesce(s.n_live_tup, 0) AS rows, pg_total_relation_size(c.oid) AS bytes
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
        WHERE i.inhparent = 'problems'::regclass ORDER BY c.relname""")).mappings()
    return [dict(r) for r in rows]


def ensure(session: Session, first: date, months: int) -> list[str]:
    """Create the partitions of `months` months from `first` (existing ones are kept)."""
    if not 1 <= months <= 120:
        raise InvalidInput("months must be between 1 and 120", field="months")
    return list(session.execute(text("""
        SELECT ccgrid_problem_partition((m::timestamp AT TIME ZONE 'Asia/Shanghai'))
        FROM generate_series(CAST(:f AS date), CAST(:f AS date) + make_interval(months => :n - 1),
                             interval '1 month') AS m"""), {"f": first, "n": months}).scalars())


def window(today: date, ahead: int) -> tuple[date, int]:
    """(first month, number of months) a city needs ready: the months behind today in which intake by anyone but an
    admin may still file reports (`intake_new_months_back`), this month, and `ahead` months after it."""
    back = get_settings().intake_new_months_back
    index = today.year * 12 + today.month - 1 - back
    return date(index // 12, index % 12 + 1, 1), back + 1 + ahead


def table_of(first: datetime) -> str:
    """The partition of the month that starts at `first`."""
    return f"problems_{first.astimezone(TZ):%Y%m}"


def absent(session: Session, months: list[datetime]) -> list[datetime]:
    """The months (first instants, Beijing time) that have no partition yet."""
    wanted = [m for m in months if m is not None]
    missing = set(session.execute(text("SELECT t FROM unnest(CAST(:t AS text[])) AS t WHERE to_regclass(t) IS NULL"),
                                  {"t": [table_of(m) for m in wanted]}).scalars())
    return [m for m in wanted if table_of(m) in missing]


def ensure_months(session: Session, months: list[datetime]) -> None:
    """Make sure the partitions of these months exist.

    Creating a partition locks the whole reports table until commit; inside a long import that would stop every
    intake meanwhile. So missing months are created in a short transaction of their own, committed at once. If that
    cannot get the lock within two seconds (the caller's own transaction may hold a lock on the reports, e.g. a
    demo reload that deleted some), they are created in the caller's transaction instead.
    """
    missing = absent(session, months)
    if not missing:
        return
    create = "SELECT ccgrid_problem_partition(m) FROM unnest(CAST(:m AS timestamptz[])) AS m"
    try:
        with transaction() as own:
            own.execute(text("SET LOCAL lock_timeout = '2s'"))
            own.execute(text(create), {"m": list(missing)})
    except (DBAPIError, DatabaseUnavailable):  # a lock timeout comes out of transaction() as the latter
        session.execute(text(create), {"m": list(missing)})


# A new month gets at least this many reports from one import: it is loaded bare and attached (below).
BULK_MONTH_FROM = 20_000


def insert_months(session: Session, months: list[datetime], columns: str, rows_sql: str,
                  params: dict[str, Any] | None = None) -> None:
    """Write `rows_sql` (as for `load_new_months`) straight into each month's existing partition. The reports'
    statement triggers do not see rows written this way: the caller adds them to the pre-binned counts
    (`bins.count`) and takes their lookup keys from lookup rows it has locked."""
    for first in months:
        session.execute(text(f"INSERT INTO {table_of(first)} ({columns}) {rows_sql}"), {**(params or {}), "m": first})


def load_new_months(session: Session, months: list[datetime], columns: str, rows_sql: str,
                    params: dict[str, Any] | None = None) -> list[datetime]:
    """Make months that have no partition yet out of `rows_sql` (a month's rows, `:m` its first instant, in the
    order to store them, with `columns`). Each is written into a bare table and then attached, which builds every
    index in one sorted pass (~10 s for a million reports, where inserting them into the indexes one by one costs
    ~30 s). As with `insert_months`, the reports' statement triggers do not see rows written this way. Attaching
    locks the reports only against other schema changes (reads and writes go on; creating a month with CREATE
    TABLE … PARTITION OF locks them out until commit), and a session that has to create a month meanwhile waits on
    the same advisory lock. Returns the months made; one that exists after all
    (another session made it meanwhile) is left to the caller."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('ccgrid_problem_partition'))"))
    made: list[datetime] = []
    for first in months:
        name = table_of(first)
        # DDL takes no parameters: the bounds come back as quoted literals, made by the server from a timestamp.
        lo, hi = session.execute(text("""
            SELECT quote_literal((m::timestamp AT TIME ZONE 'Asia/Shanghai')::text),
                   quote_literal(((m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai')::text)
            FROM (SELECT date_trunc('month', CAST(:f AS timestamptz) AT TIME ZONE 'Asia/Shanghai')::date AS m) x"""),
            {"f": first}).one()
        if session.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None:
            continue
        session.execute(text(f"CREATE TABLE {name} (LIKE problems INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
        session.execute(text(f"INSERT INTO {name} ({columns}) {rows_sql}"), {**(params or {}), "m": first})
        # With the bound already a constraint, attaching does not scan the rows to check it.
        session.execute(text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bound "
                             f"CHECK (reported_at >= {lo}::timestamptz AND reported_at < {hi}::timestamptz)"))
        session.execute(text(f"ALTER TABLE problems ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi})"))
        session.execute(text(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bound"))
        made.append(first)
    return made


def archive(session: Session, before: date) -> list[dict[str, Any]]:
    """Archive every month that ends on or before `before`; returns what moved."""
    today = session.execute(text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")).scalar_one()
    if before > today.replace(day=1):
        raise InvalidInput("only months that are over can be archived", field="before")
    session.execute(text("CREATE SCHEMA IF NOT EXISTS archive"))
    for child in CHILDREN:
        session.execute(text(f"CREATE TABLE IF NOT EXISTS archive.{child} (LIKE public.{child})"))
    moved = []
    for part in partitions(session):
        if part["month"] >= before:
            continue
        name = part["name"]
        # Its counts leave the aggregates first (a detach is not a delete: no trigger sees it).
        bins.count(session, [name], sign=-1)
        session.execute(text("SET LOCAL ccgrid.archiving = on"))  # lets the history rows move
        counts = {}
        for child in CHILDREN:
            counts[child] = session.execute(text(f"""
                WITH gone AS (DELETE FROM public.{child} c USING {name} p WHERE c.problem_id = p.id RETURNING c.*)
                INSERT INTO archive.{child} SELECT * FROM gone""")).rowcount
        session.execute(text(f"ALTER TABLE problems DETACH PARTITION {name}"))
        session.execute(text(f"ALTER TABLE {name} SET SCHEMA archive"))
        moved.append({"partition": name, "month": part["month"], "reports": part["rows"], **counts})
    session.execute(text("SET LOCAL ccgrid.archiving = off"))
    return moved
