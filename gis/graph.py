"""A routable graph from lines, and walking distances over it with pgRouting. No domain words: the caller says
which relation holds the lines, where the nodes are kept and which nodes to start from.

Noding (`node_lines`) splits lines at every point where they meet: crossings, one line's end on another, and ends
that stop within a tolerance of another line (moved onto it, as hand-drawn lines that almost meet). The pieces'
ends are clustered within `EPS` into nodes; a node already stored there keeps its id, so an update around a few
lines leaves the rest of the graph as it was. The SQL is in gis/sql/graph_*.sql, one statement per step, over
temporary tables that go at commit.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load

EPS = 0.01  # metres: two junction points closer than this are one node (floating-point noise, not geometry)
_STEPS = ("graph_snaps", "graph_cuts", "graph_pieces", "graph_nodes", "graph_node_ids", "graph_link")
_TEMP = ("graph_targets", "graph_near", "graph_snaps", "graph_cuts", "graph_pieces", "graph_clusters",
         "graph_new_nodes")


def node_lines(
    session: Session,
    *,
    lines_sql: str,
    nodes_sql: str,
    node_sequence: str,
    targets: list[int] | None,
    tolerance: float,
) -> None:
    """Split the lines of `lines_sql` (columns id (an integer), geom: a LineString in a metric CRS, exact: whether the
    line meets others only at shared vertices and never snaps) whose ids are in `targets` (None: all of them)
    against all the others. `nodes_sql` (id, geom) are the nodes stored so far;
    new nodes take ids from `node_sequence`. Leaves `graph_pieces` (line_id, piece, geom, source, target) and
    `graph_new_nodes` (id, pt, new) for the caller to store."""
    for t in _TEMP:
        session.execute(text(f"DROP TABLE IF EXISTS pg_temp.{t}"))
    session.execute(text("DROP VIEW IF EXISTS pg_temp.graph_lines, pg_temp.graph_nodes"))
    # Views over the caller's relations: the statements below name them, so they stay free of its tables.
    session.execute(text(f"CREATE TEMP VIEW graph_lines AS {lines_sql}"))
    session.execute(text(f"CREATE TEMP VIEW graph_nodes AS {nodes_sql}"))
    session.execute(text("CREATE TEMP TABLE graph_targets (id bigint PRIMARY KEY) ON COMMIT DROP"))
    params = {"tol": tolerance, "eps": EPS, "seq": node_sequence}
    if targets is None:
        session.execute(text("INSERT INTO graph_targets SELECT id FROM graph_lines"))
        session.execute(text("CREATE TEMP TABLE graph_near ON COMMIT DROP AS SELECT id, geom, exact FROM graph_lines"))
    else:
        session.execute(text("INSERT INTO graph_targets SELECT DISTINCT unnest(CAST(:ids AS bigint[]))"),
                        {"ids": targets})
        session.execute(text(load(__file__, "graph_near")), params)
    session.execute(text("ANALYZE graph_targets"))
    for step in _STEPS:
        session.execute(text(load(__file__, step)), params)
    # The views would outlive the transaction (and hold on to the caller's tables); the tables go at commit.
    session.execute(text("DROP VIEW pg_temp.graph_lines, pg_temp.graph_nodes"))


def _start_column(session: Session) -> str:
    """pgRouting 3.6 renamed drivingDistance's `from_v` to `start_vid`; read which this server has."""
    names = session.execute(text(
        "SELECT proargnames FROM pg_proc WHERE proname = 'pgr_drivingdistance' AND pronargs = 5 LIMIT 1")).scalar()
    return "start_vid" if names and "start_vid" in names else "from_v"


def distances(session: Session, *, edges_sql: str, starts: list[int], max_cost: float) -> None:
    """Shortest cost from each start node to every node within `max_cost`, into the temporary table `graph_reach`
    (start_vid, node, cost). `edges_sql` yields id, source, target, cost, reverse_cost (negative: one way only)."""
    session.execute(text("DROP TABLE IF EXISTS pg_temp.graph_reach"))
    session.execute(text("CREATE TEMP TABLE graph_reach (start_vid bigint, node bigint, cost float8) "
                         "ON COMMIT DROP"))
    if starts:
        col = _start_column(session)
        session.execute(text(
            f"INSERT INTO graph_reach SELECT d.{col}, d.node, d.agg_cost "
            "FROM pgr_drivingDistance(:edges, CAST(:starts AS bigint[]), :max, directed := true, "
            "equicost := false) d"), {"edges": edges_sql, "starts": starts, "max": max_cost})
    session.execute(text("ANALYZE graph_reach"))
