"""One primary owner under concurrency: 20 simultaneous requests for the same place in an exclusive role (路长 on
an arterial) over a real socket; exactly one may win, on every path that writes assignments."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import httpx
import pytest

from gis.db import transaction
from layers.access.caller import Caller
from layers.registry import people as owners
from tests.conftest import scalar
from tests.crafted import owner_town

N = 20
TEST = Caller("test")


def _race(send: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
    """Send N requests at once (each thread its own connection), released together by a barrier."""
    barrier = threading.Barrier(N)
    out: list[httpx.Response | None] = [None] * N

    def run(i: int) -> None:
        with httpx.Client(timeout=60) as http:
            barrier.wait()
            out[i] = send(http, i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in out if r is not None]


def _people(district: str, prefix: str) -> list[int]:
    with transaction() as s:
        return [owners.create_person(s, name=f"{prefix}{i}", region_code=district, caller=TEST) for i in range(N)]


def _road_chiefs(segment: int) -> int:
    return scalar("SELECT count(*) FROM assignments WHERE layer = 'streets' AND feature_id = :f "
                  "AND role = 'road_chief'", f=segment)


def _one_winner(responses: list[httpx.Response], ok: int) -> list[httpx.Response]:
    assert len(responses) == N
    codes = sorted(r.status_code for r in responses)
    assert codes.count(ok) == 1, codes
    losers = [r for r in responses if r.status_code != ok]
    assert all(r.status_code == 422 for r in losers), [r.text for r in losers]
    return losers


@pytest.fixture(scope="module")
def towns(server, admin):
    # A first round opens the server's threads and database connections, so the races below start level.
    _race(lambda http, i: http.get(f"{server}/api/v1/owner-roles", headers=admin))
    # Inside the other test towns' extent (114–116 E, 34–36 N): the heatmap tests bin the whole city's extent.
    return {path: owner_town(code, lon, 35.30) for path, code, lon in
            [("single", "419961", 114.20), ("bulk", "419962", 114.24), ("roster", "419963", 114.28),
             ("reassign", "419964", 114.32)]}


def test_single_assignments_race_one_wins(server, admin, towns):
    t = towns["single"]
    segment = t["ids"]["419961-h0"]
    people = _people(t["district"], "并发路长")
    losers = _one_winner(_race(lambda http, i: http.post(
        f"{server}/api/v1/assignments", headers=admin,
        json={"role": "路长", "layer": "streets", "feature_id": segment, "person_id": people[i],
              "valid_from": "2026-03-01"})), 201)
    assert all(r.json()["field"] == "feature_id" and "allows only one" in r.json()["detail"] for r in losers)
    assert _road_chiefs(segment) == 1


def test_bulk_assignments_race_one_wins(server, admin, towns):
    t = towns["bulk"]
    people = _people(t["district"], "并发片区路长")
    losers = _one_winner(_race(lambda http, i: http.post(
        f"{server}/api/v1/assignments/bulk", headers=admin,
        json={"role": "路长", "layer": "streets", "region": t["district"], "kind": "arterial",
              "person_id": people[i], "valid_from": "2026-03-01"})), 201)
    assert all("allows only one" in r.json()["detail"] for r in losers)
    assert all(_road_chiefs(t["ids"][f"419962-h{i}"]) == 1 for i in range(3))


def test_roster_imports_race_one_wins(server, admin, towns):
    def send(http: httpx.Client, i: int) -> httpx.Response:
        roster = f"姓名,电话,角色,编码,起始日期\n名册路长{i},1380000{i:04d},路长,419963-h1,2026-03-01\n"
        return http.post(f"{server}/api/v1/assignments/import", headers=admin,
                         files={"file": ("roster.csv", roster.encode(), "text/csv")})

    losers = _one_winner(_race(send), 200)
    assert all(r.json()["rejected"][0]["field"] == "feature_id" for r in losers)
    assert _road_chiefs(towns["roster"]["ids"]["419963-h1"]) == 1


def test_reassign_race_leaves_one_holder(server, admin, towns):
    # A vacant place handed to 20 people on the same day: the requests are serialised on the place, each a same-day
    # correction of the one before (withdrawing its empty term), so all succeed and exactly one holds it that day.
    t = towns["reassign"]
    segment = t["ids"]["419964-h2"]
    people = _people(t["district"], "并发接任路长")
    responses = _race(lambda http, i: http.post(
        f"{server}/api/v1/assignments/reassign", headers=admin,
        json={"role": "路长", "layer": "streets", "feature_id": segment, "person_id": people[i],
              "on": str(date(2026, 3, 1))}))
    assert [r.status_code for r in responses] == [200] * N, [r.text for r in responses if r.status_code != 200]
    holders = scalar("SELECT array_agg(person_id) FROM assignments_on(date '2026-03-01') WHERE layer = 'streets' "
                     "AND feature_id = :f AND role = 'road_chief'", f=segment)
    assert len(holders) == 1 and holders[0] in people
    # Every other request's term was withdrawn, not left overlapping.
    assert scalar("SELECT count(*) FROM assignments WHERE layer = 'streets' AND feature_id = :f AND role = "
                  "'road_chief' AND valid_to IS NULL", f=segment) == 1
