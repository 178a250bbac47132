"""Routing one report through HTTP, including its commit: one client, one report at a time.

ccgrid: POST /api/v1/problems (auth, validation, routing to cell/street/point, owners, duplicate check, first event,
audit row, durable commit) against a uvicorn server process, sent over one keep-alive connection by the standard
library's http.client (and again by httpx, whose own cost per request on two shared cores is printed too).
Baseline, in the same run: the floor, one INSERT … SELECT that routes the point (cell, nearest street, point) and
commits, sent over a plain psycopg connection. Target (performance issue): p50 < 5 ms.

    .venv/bin/python -m bench.intake --scale city --reports 1000000 --requests 500
"""

from __future__ import annotations

import http.client
import json
import random
import secrets
import sys
import time

import httpx
import psycopg
from sqlalchemy import text

from bench.common import console, ms, p, parser, prepare, token_and_spots
from bench.tiles import _port, _server
from gis.db import database_url, transaction

BIN_TRIGGERS = ("insert", "update", "delete")
WARM = 100  # requests not timed: they open pooled connections and warm their kept plans
_FLOOR = """
INSERT INTO problems (category_code, source, geom, district_code, region_code, grid_cell_id, street_id, point_id,
                      reported_at, created_by)
SELECT '0101', 'hotline', q.g, coalesce(left(c.region_code, 6), '000000'), c.region_code, c.id, s.id, ap.id, now(),
       'floor'
FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4490) AS g,
             ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4490), %(srid)s) AS gm) q
LEFT JOIN LATERAL (SELECT id, region_code FROM grid_cells WHERE ST_Intersects(geom, q.g) LIMIT 1) c ON true
LEFT JOIN LATERAL (SELECT id FROM streets WHERE ST_DWithin(geom_m, q.gm, 50) ORDER BY geom_m <-> q.gm LIMIT 1) s
     ON true
LEFT JOIN LATERAL (SELECT id FROM assessment_points WHERE ST_DWithin(geom_m, q.gm, 50) LIMIT 1) ap ON true
RETURNING id
"""


def _bin_triggers(state: str) -> None:
    """ENABLE or DISABLE the triggers that keep the pre-binned counts current (to measure their cost per write)."""
    with transaction() as s:
        for op in BIN_TRIGGERS:
            s.execute(text(f"ALTER TABLE problems {state} TRIGGER problems_bins_{op}"))


def _report(ours: list[float], via_httpx: list[float], unbinned: list[float], floor: list[float]) -> None:
    """The timings, each beside what it is compared with."""
    console.print(f"  ccgrid over HTTP   p50 {ms(p(ours, 50))}  p95 {ms(p(ours, 95))}  (http.client, keep-alive)")
    console.print(f"  … sent with httpx  p50 {ms(p(via_httpx, 50))}  p95 {ms(p(via_httpx, 95))}  (the client's own "
                  f"cost: {ms(p(via_httpx, 50) - p(ours, 50))})")
    if unbinned:
        console.print(f"  … without keeping the pre-binned counts current (run after)  p50 {ms(p(unbinned, 50))}  "
                      f"p95 {ms(p(unbinned, 95))} (their cost per report: {ms(p(ours, 50) - p(unbinned, 50))})")
    console.print(f"  raw SQL floor      p50 {ms(p(floor, 50))}  p95 {ms(p(floor, 95))}")
    console.print(f"  ratio (p50) {p(ours, 50) / p(floor, 50):.2f}× the floor (target: p50 < 5 ms)")


def main() -> None:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--keep-bins", action="store_true",
                    help="skip the run without the bins' triggers (a shared database: others' writes would miss them)")
    args = ap.parse_args()
    prepare(args.scale, args.reports)
    token, spots = token_and_spots("intake bench", 2000, at=0.3)
    with transaction() as s:
        srid = s.execute(text("SELECT ccgrid_metric_srid()")).scalar_one()
    rng = random.Random(5)
    run = "INTAKE-" + secrets.token_hex(4)
    port = _port()
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port),
           "--log-level", "warning"]
    console.print(f"[bold]intake[/bold]: {args.requests} reports one at a time, scale {args.scale}")
    ours: list[float] = []
    via_httpx: list[float] = []
    unbinned: list[float] = []
    floor: list[float] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    floor_ids: list[int] = []
    with _server(cmd, {}, f"http://127.0.0.1:{port}/healthz"), httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers=headers) as client, psycopg.connect(
            database_url().replace("+psycopg", "")) as conn:
        plain = http.client.HTTPConnection("127.0.0.1", port)

        def body(tag: str, i: int) -> dict:
            lon, lat = rng.choice(spots)
            return {"category": "占道经营", "source": "hotline", "lon": lon + rng.uniform(-2e-4, 2e-4),
                    "lat": lat + rng.uniform(-2e-4, 2e-4), "description": "压测上报", "external_id": f"{run}{tag}-{i}"}

        def lean(data: dict) -> int:  # a lean keep-alive client, as lean as the floor's psycopg connection
            plain.request("POST", "/api/v1/problems", body=json.dumps(data), headers=headers)
            reply = plain.getresponse()
            reply.read()
            return reply.status

        def raw_sql() -> int:
            lon, lat = rng.choice(spots)
            with conn.transaction():
                conn.execute("SELECT ccgrid_problem_partition(now())")
                floor_ids.append(conn.execute(_FLOOR, {"lon": lon, "lat": lat, "srid": srid}).fetchone()[0])
            return 201

        def post(data: dict) -> int:
            return client.post("/api/v1/problems", json=data).status_code

        def timed(into: list[float], i: int, send, *args) -> None:
            t = time.perf_counter()
            status = send(*args)
            if i >= WARM:
                into.append(time.perf_counter() - t)
            assert status == 201, status

        # The three ways, one after the other for each report, so that each sees the machine in the same state
        # (two shared cores drift by ±30% over minutes).
        for i in range(args.requests + WARM):
            timed(ours, i, lean, body("", i))
            timed(via_httpx, i, post, body("-httpx", i))
            timed(floor, i, raw_sql)
        # The same without the triggers that keep the pre-binned counts current: their cost per write. Those
        # reports are deleted again before the triggers come back, so the counts stay right.
        if not args.keep_bins:
            _bin_triggers("DISABLE")
            try:
                plain = http.client.HTTPConnection("127.0.0.1", port)  # the server closed the idle one
                for i in range(args.requests + WARM):
                    timed(unbinned, i, lean, body("-nobins", i))
                with transaction() as s:
                    s.execute(text("DELETE FROM problems WHERE external_id LIKE :r || '-nobins-%'"), {"r": run})
            finally:
                _bin_triggers("ENABLE")
        conn.execute("DELETE FROM problems WHERE id = ANY(%s)", (floor_ids,))
        conn.commit()
    with transaction() as s:
        s.execute(text("DELETE FROM problems WHERE external_id LIKE :r || '-%'"), {"r": run})
    _report(ours, via_httpx, unbinned, floor)


if __name__ == "__main__":
    main()
