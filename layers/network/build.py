"""The walking network: the streets split at every junction into `network_edges` between `network_nodes`, in the
city's metric CRS, kept current by the street writer (layers/spatial/writer.py): a small write updates the
network around the rows it wrote, a large one (an import, the demo) rebuilds it.

Junctions are where streets cross or one ends on another; a hand-drawn street whose end stops within
`CCGRID_NETWORK_SNAP_TOLERANCE_M` of another is joined to it. Streets from OpenStreetMap (with an `osm_id`) meet
each other only at the nodes they share, as OSM says (a bridge over a road does not meet it), and a junction keeps
the OSM node id the import recorded there (`network_osm_nodes`). The noding itself is generic: gis/graph.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.graph import EPS, node_lines
from gis.settings import get_settings
from gis.sql import load

NODES_SQL = "SELECT id, geom_m AS geom FROM network_nodes"
NODE_SEQUENCE = "network_nodes_id_seq"
def _lock(session: Session) -> None:
    """One network writer at a time: two writes noding one junction at once would make two nodes there."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('ccgrid.network'))"))


def _lines_sql(removed: Iterable[int] = ()) -> str:
    gone = sorted({int(i) for i in removed})  # ints, so safe to write into the view's text
    where = f" WHERE id <> ALL(ARRAY[{', '.join(map(str, gone))}]::int[])" if gone else ""
    return f"SELECT id, geom_m AS geom, osm_id IS NOT NULL AS exact FROM streets{where}"


def _tolerance() -> float:
    return get_settings().network_snap_tolerance_m


def _store(session: Session) -> None:
    session.execute(text(load(__file__, "network_store_nodes")))
    session.execute(text(load(__file__, "network_osm_ids")), {"eps": EPS})
    session.execute(text(load(__file__, "network_store_edges")))


def refresh_access(session: Session, layer: str | None = None, ids: Iterable[int] = ()) -> None:
    """Where facilities, grid cells and cell-less communities join the network (`network_access`), for each one
    whose row is missing or older than it: all of them, or (`layer`, `ids`) those just written, recomputed even in
    the same transaction (whose rows carry the same time)."""
    written = sorted({int(i) for i in ids})
    if layer:
        session.execute(text("DELETE FROM network_access WHERE layer = :l AND feature_id = ANY(:ids)"),
                        {"l": layer, "ids": written})
    if layer in ("regions", "grid_cells"):  # a community's cells came or went: it counts whole, or not
        session.execute(text("DELETE FROM network_access WHERE layer = 'regions'"))
    session.execute(text(load(__file__, "network_access_refresh")), {"layer": layer, "ids": written})


def features_written(session: Session, layer: str, ids: list[int]) -> None:
    """After the writer stored facilities, cells or regions: where they join the network."""
    if ids and session.execute(text("SELECT EXISTS (SELECT 1 FROM network_edges)")).scalar():
        refresh_access(session, layer, ids)


def rebuild(session: Session) -> dict[str, Any]:
    """The whole network again from the streets (an import, the demo, `ccgrid network build`)."""
    t = time.perf_counter()
    _lock(session)
    session.execute(text("TRUNCATE network_access, network_edges, network_nodes RESTART IDENTITY"))
    node_lines(session, lines_sql=_lines_sql(), nodes_sql=NODES_SQL, node_sequence=NODE_SEQUENCE, targets=None,
               tolerance=_tolerance())
    _store(session)
    session.execute(text("ANALYZE network_edges"))
    session.execute(text("ANALYZE network_nodes"))
    refresh_access(session)
    session.execute(text("ANALYZE network_access"))
    _mark_built(session)
    return {**counts(session), "seconds": round(time.perf_counter() - t, 2)}


def update(session: Session, street_ids: Iterable[int], *, removed: Iterable[int] = ()) -> int:
    """Split again the streets a write touched (`street_ids`: written, or about to be deleted when also in
    `removed`) and those within the snap tolerance of them, now or before; returns how many were split."""
    ids = sorted({int(i) for i in street_ids})
    gone = sorted({int(i) for i in removed})
    if not ids:
        return 0
    _lock(session)
    params = {"ids": ids, "tol": _tolerance()}
    affected = sorted(set(session.execute(text(load(__file__, "network_affected")), params).scalars()) - set(gone))
    old_nodes = session.execute(text(
        "DELETE FROM network_edges WHERE street_id = ANY(:ids) RETURNING source, target"),
        {"ids": sorted(set(affected) | set(ids))}).all()
    if affected:
        node_lines(session, lines_sql=_lines_sql(gone), nodes_sql=NODES_SQL, node_sequence=NODE_SEQUENCE,
                   targets=affected, tolerance=_tolerance())
        _store(session)
        # Facilities and cells a new stretch is nearer to than their edge join it (those of edges gone, too).
        session.execute(text(load(__file__, "network_access_invalidate")),
                        {"access_max": get_settings().network_access_max_m})
    ends = sorted({n for pair in old_nodes for n in pair})
    if ends:
        session.execute(text(load(__file__, "network_orphans")), {"ids": ends})
    refresh_access(session)
    return len(affected)


def streets_written(session: Session, street_ids: list[int], rows: int) -> None:
    """After the writer stored `rows` street rows (`street_ids` inserted or changed): update or rebuild."""
    if not street_ids:
        return
    never_built = not session.execute(text("SELECT EXISTS (SELECT 1 FROM network_edges)")).scalar()
    if rows > get_settings().network_rebuild_rows or never_built:
        rebuild(session)
    else:
        update(session, street_ids)


def streets_removed(session: Session, street_ids: list[int]) -> None:
    """Before streets are deleted: join their neighbours again without them (their own edges go with them)."""
    update(session, street_ids, removed=street_ids)


def ensure_built(session: Session) -> bool:
    """Build the network when the city has streets and no network yet (a database migrated to this revision);
    returns whether it built."""
    empty = session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM streets) AND NOT EXISTS (SELECT 1 FROM network_edges)")).scalar()
    if empty:
        rebuild(session)
    return bool(empty)


def _mark_built(session: Session) -> None:
    session.execute(text("INSERT INTO city_settings VALUES ('network_built_at', now()::text) "
                         "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"))


def counts(session: Session) -> dict[str, Any]:
    row = session.execute(text("""
        SELECT (SELECT count(*) FROM network_edges) AS edges, (SELECT count(*) FROM network_nodes) AS nodes,
               (SELECT count(*) FROM network_nodes WHERE osm_node_id IS NOT NULL) AS osm_nodes,
               (SELECT count(*) FROM streets) AS streets,
               (SELECT round((coalesce(sum(length_m), 0) / 1000)::numeric, 3)::float FROM network_edges) AS km,
               (SELECT value FROM city_settings WHERE key = 'network_built_at') AS built_at""")).mappings().one()
    return dict(row)


def components(session: Session) -> int:
    """How many separate pieces the network falls into (islands: a village road net, a walled compound)."""
    return int(session.execute(text(
        "SELECT count(DISTINCT component) FROM pgr_connectedComponents("
        "'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM network_edges')")).scalar() or 0)


def record_osm_nodes(session: Session, nodes: Iterable[tuple[int, float, float]]) -> int:
    """Keep the ids of an OpenStreetMap import's junction and end nodes (id, longitude, latitude in CGCS2000),
    so the network's nodes there carry them."""
    rows = [{"id": int(i), "x": float(x), "y": float(y)} for i, x, y in nodes]
    if not rows:
        return 0
    session.execute(text("""
        INSERT INTO network_osm_nodes (osm_id, geom_m)
        SELECT (r->>'id')::bigint, ST_Transform(ST_SetSRID(ST_MakePoint((r->>'x')::float8, (r->>'y')::float8), 4490),
                                                ccgrid_metric_srid())
        FROM jsonb_array_elements(CAST(:rows AS jsonb)) r
        ON CONFLICT (osm_id) DO UPDATE SET geom_m = EXCLUDED.geom_m"""), {"rows": json.dumps(rows)})
    return len(rows)

