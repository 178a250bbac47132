"""Load test: concurrent clients on loopback mixing report intake, locate, heatmap and tiles against one server
process for a fixed time. Reports: zero errors, zero lost reports (accepted intakes = new rows), p50/p95 per
operation, and the server's peak RSS.

    .venv/bin/python -m bench.load --clients 50 --seconds 60
    .venv/bin/python -m bench.load --base http://127.0.0.1:8000 --seconds 0   # a running server, until Ctrl-C

With `--base` the clients load a server that is already running (bench.pages --under-load runs them so, against
the server whose pages it opens) and `--seconds 0` runs them until the process is interrupted (SIGINT/SIGTERM);
the figures are printed either way; `--forget` deletes the run's reports afterwards.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.common import console, ms, p, parser, prepare, token_and_spots
from bench.tiles import _port, _server
from gis.db import transaction
from gis.mvt import tile_of

MIX = [("intake", 0.35), ("locate", 0.30), ("heatmap", 0.10), ("tile", 0.25)]


def _rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn runs the app in the process itself)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


async def _client(k: int, base: str, headers: dict, spots: list, done: Callable[[], bool], run: str,
                  lat: dict, errors: list, accepted: list) -> None:
    rng = random.Random(k)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        n = 0
        while not done():
            op = rng.choices([m[0] for m in MIX], weights=[m[1] for m in MIX])[0]
            lon, lat_ = rng.choice(spots)
            lon += rng.uniform(-0.0005, 0.0005)
            lat_ += rng.uniform(-0.0005, 0.0005)
            if op == "intake":
                ext = f"{run}-{k}-{n}"
                req = client.post("/api/v1/problems", json={
                    "category": rng.choice(["0401", "0101", "0201", "0603"]), "source": "grid_worker",
                    "lon": lon, "lat": lat_, "description": "压测上报", "external_id": ext})
            elif op == "locate":
                req = client.get("/api/v1/locate", params={"lon": lon, "lat": lat_})
            elif op == "heatmap":
                box = f"{lon - 0.02:.5f},{lat_ - 0.02:.5f},{lon + 0.02:.5f},{lat_ + 0.02:.5f}"
                req = client.get("/api/v1/analytics/heatmap", params={"cell": "hex", "size_m": 250, "bbox": box})
            else:
                z = rng.randint(11, 18)
                x, y = tile_of(lon, lat_, z)
                req = client.get(f"/tiles/problems/{z}/{x}/{y}.mvt")
            t = time.perf_counter()
            try:
                r = await req
                ok = r.status_code < 300
                detail = f"{r.status_code} {r.text[:120]}"
            except httpx.HTTPError as exc:
                ok, detail = False, repr(exc)
            lat[op].append(time.perf_counter() - t)
            if not ok:
                errors.append((op, detail))
            elif op == "intake":
                accepted.append(ext)
            n += 1


async def _run(clients: int, done: Callable[[], bool], base: str, headers: dict, spots: list, run: str,
               pid: int | None):
    lat: dict[str, list[float]] = defaultdict(list)
    errors: list = []
    accepted: list = []
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while not done():
            if pid is not None:
                peak = max(peak, _rss_kb(pid))
            await asyncio.sleep(0.5)

    await asyncio.gather(watch(), *(_client(k, base, headers, spots, done, run, lat, errors, accepted)
                                    for k in range(clients)))
    return lat, errors, accepted, peak


def main() -> None:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0, help="0: until interrupted")
    ap.add_argument("--base", default=None, help="load this running server instead of starting one")
    ap.add_argument("--forget", action="store_true", help="delete the run's reports afterwards (a shared database)")
    args = ap.parse_args()
    if not args.base:  # a running server's database is its owner's: left as it is
        prepare(args.scale, args.reports)
    token, spots = token_and_spots("load test", 500, where="left(region_code, 7) = '4114210'")
    with transaction() as s:
        before = s.execute(text("SELECT count(*) FROM problems")).scalar_one()
    run = "LOAD-" + secrets.token_hex(4)
    stopped = False

    def stop(*_: object) -> None:
        nonlocal stopped
        stopped = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    started = time.perf_counter()
    until = started + args.seconds if args.seconds > 0 else float("inf")

    def done() -> bool:
        return stopped or time.perf_counter() >= until

    console.print(f"[bold]load[/bold]: {args.clients} clients for "
                  + (f"{args.seconds:.0f} s" if args.seconds > 0 else "as long as asked") + ", mix "
                  + ", ".join(f"{op} {w:.0%}" for op, w in MIX))
    headers = {"Authorization": f"Bearer {token}"}
    if args.base:
        lat, errors, accepted, peak = asyncio.run(_run(args.clients, done, args.base, headers, spots, run, None))
    else:
        port = _port()
        cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port),
               "--log-level", "warning"]
        with _server(cmd, {}, f"http://127.0.0.1:{port}/healthz") as proc:
            lat, errors, accepted, peak = asyncio.run(_run(
                args.clients, done, f"http://127.0.0.1:{port}", headers, spots, run, proc.pid))
    seconds = time.perf_counter() - started
    with transaction() as s:
        stored = s.execute(text("SELECT count(*) FROM problems WHERE external_id LIKE :r || '-%'"),
                           {"r": run}).scalar_one()
        after = s.execute(text("SELECT count(*) FROM problems")).scalar_one()
    total = sum(len(v) for v in lat.values())
    for op, values in sorted(lat.items()):
        console.print(f"  {op:<8} {len(values):>7,} requests  p50 {ms(p(values, 50))}  p95 {ms(p(values, 95))}")
    console.print(f"  total {total:,} requests in {seconds:,.0f} s, {total / seconds:,.1f}/s; errors {len(errors)}")
    for op, detail in errors[:5]:
        console.print(f"    {op}: {detail}")
    # With --base, other writers may share the server: the table's growth is then only a bound.
    console.print(f"  reports accepted {len(accepted):,}, stored {stored:,}, table grew by {after - before:,} "
                  f"({'reconciled' if stored == len(accepted) == after - before else 'MISMATCH'})")
    if not args.base:
        console.print(f"  server peak RSS {peak / 1024:,.0f} MB (target < 500 MB)")
    if args.forget:
        with transaction() as s:  # in one statement: a report of the run may be the master of a later one
            gone = s.execute(text("DELETE FROM problems WHERE external_id LIKE :r || '-%'"), {"r": run}).rowcount
        console.print(f"  deleted the run's {gone:,} reports")


if __name__ == "__main__":
    main()
