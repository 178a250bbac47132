"""Vector tile benchmark over the busiest part of the city: per zoom (8–18) p50/p95 latency and the largest tile of
`/tiles/problems`, unfiltered and with the filters a leader uses (未办结, 超期, a small and a big category, a status
code) (target: p95 < 100 ms and no tile over 500 KB at any zoom), then problems-tile throughput side by side with the
`tipg` package serving the same table (target ≥ 1.0×). Both servers run as their own process, one worker each, on
loopback.

    .venv/bin/python -m bench.tiles --scale city --reports 1000000 [--filters "" status=open category=04]
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from urllib.parse import quote

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.common import console, ms, p, parser, prepare
from gis.db import database_url, transaction
from gis.mvt import tile_of
from layers.analytics.heatmap import heatmap
from layers.ledger.filters import ProblemFilter

ZOOMS = range(8, 19)
# Unfiltered, then the heatmap page's filters: 未办结, 超期, a small class (占道经营), a big class (04, five small
# ones), and a status code the API takes (已销号).
FILTERS = ["", "status=open", "status=overdue", "category=0401", "category=04", "status=closed"]
THROUGHPUT_ZOOMS = range(12, 17)
CONCURRENCY = 8


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _server(cmd: list[str], env: dict[str, str], health: str):
    # stderr to a file, not a pipe: the app writes a JSON line per request there (api.observe), and a pipe nobody
    # reads fills after ~64 KB and stalls the server mid-benchmark.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log)
        try:
            for _ in range(200):
                try:
                    if httpx.get(health, timeout=1).status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(log.read().decode()[-2000:])
                time.sleep(0.1)
            yield proc
        finally:
            proc.terminate()
            proc.wait(10)


def _busiest() -> tuple[float, float]:
    with transaction() as s:
        top = heatmap(s, cell="hex", size_m=250, filters=ProblemFilter())["features"][0]["geometry"]["coordinates"][0]
    return sum(c[0] for c in top[:-1]) / 6, sum(c[1] for c in top[:-1]) / 6


async def _throughput(urls: list[str], headers: dict[str, str], seconds: float = 10.0) -> tuple[float, int]:
    done, errors = 0, 0
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        async def worker(k: int) -> None:
            nonlocal done, errors
            i = k
            while time.perf_counter() < deadline:
                r = await client.get(urls[i % len(urls)])
                done += 1
                errors += r.status_code != 200
                i += CONCURRENCY
        t = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(CONCURRENCY)))
        return done / (time.perf_counter() - t), errors


def main() -> None:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--filters", nargs="*", default=FILTERS, help='query strings to measure, "" for none')
    args = ap.parse_args()
    total = prepare(args.scale, args.reports)
    lon, lat = _busiest()
    console.print(f"[bold]tiles[/bold]: {total:,} first reports, scale {args.scale}, busiest spot {lon:.5f},{lat:.5f}")
    from api.auth import create_token

    with transaction() as s:
        token = create_token(s, role="viewer", label="bench", days=1)
        s.execute(text("ANALYZE problems"))
    ours, theirs = _port(), _port()
    url = make_url(database_url())
    # tipg (asyncpg) wants a TCP host; the embedded cluster listens on loopback as well as its socket.
    host = url.host or "127.0.0.1"
    port = url.port or int(url.query.get("port", 5432))
    libpq = f"postgresql://{quote(url.username)}:{quote(url.password)}@{host}:{port}/{url.database}"
    headers = {"Authorization": f"Bearer {token}"}
    ccgrid_cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(ours),
                  "--log-level", "warning"]
    with _server(ccgrid_cmd, {}, f"http://127.0.0.1:{ours}/healthz"):
        worst: dict[str, tuple[float, int]] = {}
        table: dict[int, list[str]] = {z: [] for z in ZOOMS}
        for query in args.filters:
            for z in ZOOMS:
                x, y = tile_of(lon, lat, z)
                url = f"http://127.0.0.1:{ours}/tiles/problems/{z}/{x}/{y}.mvt" + (f"?{query}" if query else "")
                sizes, times = [], []
                with httpx.Client(headers=headers) as client:
                    client.get(url).raise_for_status()
                    for _ in range(max(args.repeat, 20)):
                        t = time.perf_counter()
                        r = client.get(url)
                        times.append(time.perf_counter() - t)
                        sizes.append(len(r.content))
                p95 = p(times, 95)
                if p95 > worst.get(query, (0.0, 0))[0]:
                    worst[query] = (p95, z)
                table[z].append(f"{p(times, 50) * 1000:,.0f} / {p95 * 1000:,.0f} ({max(sizes) / 1024:,.0f} KB)")
        names = [q or "unfiltered" for q in args.filters]
        console.print("| zoom | " + " | ".join(names) + " |", soft_wrap=True)
        console.print("|---|" + "---|" * len(names), soft_wrap=True)
        for z, cells in table.items():
            console.print(f"| z{z} {'/'.join(map(str, tile_of(lon, lat, z)))} | " + " | ".join(cells) + " |",
                          soft_wrap=True)
        console.print("  (p50 / p95 ms, largest tile)")
        for query, (p95, z) in worst.items():
            met = "met" if p95 < 0.1 else "MISSED"
            console.print(f"  worst p95 {query or 'unfiltered'}: {ms(p95)} at z{z} (target < 100 ms: {met})")
        tiles = [(z, *tile_of(lon, lat, z)) for z in THROUGHPUT_ZOOMS]
        mine, errs = asyncio.run(_throughput(
            [f"http://127.0.0.1:{ours}/tiles/problems/{z}/{x}/{y}.mvt" for z, x, y in tiles], headers))
    try:
        import tipg  # noqa: F401
    except ImportError:
        console.print("  tipg not installed (pip install -e '.[bench]'): no side-by-side run")
        return
    env = {"DATABASE_URL": libpq, "TIPG_DB_SCHEMAS": '["public"]', "TIPG_DB_TABLES": '["public.problems"]',
           "TIPG_MAX_FEATURES_PER_TILE": "10000000"}
    tipg_cmd = [sys.executable, "-m", "uvicorn", "tipg.main:app", "--port", str(theirs), "--log-level", "warning"]
    with _server(tipg_cmd, env, f"http://127.0.0.1:{theirs}/healthz"):
        base = f"http://127.0.0.1:{theirs}/collections/public.problems/tiles/WebMercatorQuad"
        props = "properties=id,category_code,status"
        other, terrs = asyncio.run(_throughput([f"{base}/{z}/{x}/{y}?{props}" for z, x, y in tiles], {}))
    console.print(f"  throughput z{THROUGHPUT_ZOOMS.start}–{THROUGHPUT_ZOOMS.stop - 1}, {CONCURRENCY} clients: "
                  f"ccgrid {mine:,.1f} tiles/s ({errs} errors), tipg {other:,.1f} tiles/s ({terrs} errors), "
                  f"ratio {mine / other:.2f} (target ≥ 1.0)")


if __name__ == "__main__":
    main()
