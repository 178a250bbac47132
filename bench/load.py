"""Load test: concurrent clients on loopback mixing report intake, locate, heatmap and tiles against one server
process for a fixed time. Reports: zero errors, zero lost reports (accepted intakes = new rows), p50/p95 per
operation, and the server's peak RSS.

    .venv/bin/python -m bench.load --clients 50 --seconds 60
"""

from __future__ import annotations

import asyncio
import random
import secrets
import sys
import time
from collections import defaultdict
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


async def _client(k: int, base: str, headers: dict, spots: list, deadline: float, run: str,
                  lat: dict, errors: list, accepted: list) -> None:
    rng = random.Random(k)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        n = 0
        while time.perf_counter() < deadline:
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


async def _run(clients: int, seconds: float, base: str, headers: dict, spots: list, run: str, pid: int):
    lat: dict[str, list[float]] = defaultdict(list)
    errors: list = []
    accepted: list = []
    peak = 0
    deadline = time.perf_counter() + seconds

    async def watch() -> None:
        nonlocal peak
        while time.perf_counter() < deadline:
            peak = max(peak, _rss_kb(pid))
            await asyncio.sleep(0.5)

    await asyncio.gather(watch(), *(_client(k, base, headers, spots, deadline, run, lat, errors, accepted)
                                    for k in range(clients)))
    return lat, errors, accepted, peak


def main() -> None:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    prepare(args.scale, args.reports)
    token, spots = token_and_spots("load test", 500, where="left(region_code, 7) = '4114210'")
    with transaction() as s:
        before = s.execute(text("SELECT count(*) FROM problems")).scalar_one()
    run = "LOAD-" + secrets.token_hex(4)
    port = _port()
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port),
           "--log-level", "warning"]
    console.print(f"[bold]load[/bold]: {args.clients} clients for {args.seconds:.0f} s, mix "
                  + ", ".join(f"{op} {w:.0%}" for op, w in MIX))
    with _server(cmd, {}, f"http://127.0.0.1:{port}/healthz") as proc:
        lat, errors, accepted, peak = asyncio.run(_run(
            args.clients, args.seconds, f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}, spots,
            run, proc.pid))
    with transaction() as s:
        stored = s.execute(text("SELECT count(*) FROM problems WHERE external_id LIKE :r || '-%'"),
                           {"r": run}).scalar_one()
        after = s.execute(text("SELECT count(*) FROM problems")).scalar_one()
    total = sum(len(v) for v in lat.values())
    for op, values in sorted(lat.items()):
        console.print(f"  {op:<8} {len(values):>7,} requests  p50 {ms(p(values, 50))}  p95 {ms(p(values, 95))}")
    console.print(f"  total {total:,} requests, {total / args.seconds:,.1f}/s; errors {len(errors)}")
    for op, detail in errors[:5]:
        console.print(f"    {op}: {detail}")
    console.print(f"  reports accepted {len(accepted):,}, stored {stored:,}, table grew by {after - before:,} "
                  f"({'reconciled' if stored == len(accepted) == after - before else 'MISMATCH'})")
    console.print(f"  server peak RSS {peak / 1024:,.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
