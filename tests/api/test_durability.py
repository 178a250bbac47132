"""The service survives losing its database, and an import killed half-way leaves each row exactly once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis.cluster import Cluster
from gis.db import reset_engines, transaction
from gis.settings import Settings, get_settings
from tests.conftest import scalar


@pytest.fixture
def own_database(tmp_path, database):
    """A private cluster for this test only, so stopping it harms nobody else."""
    cluster = Cluster(tmp_path / "db")
    url = cluster.up()
    saved = os.environ["CCGRID_DATABASE_URL"]
    os.environ["CCGRID_DATABASE_URL"] = url
    get_settings.cache_clear()
    reset_engines()
    try:
        yield cluster
    finally:
        os.environ["CCGRID_DATABASE_URL"] = saved
        get_settings.cache_clear()
        reset_engines()
        cluster.destroy()


def test_database_loss_is_503_then_recovers(own_database):
    from api.app import create_app
    from gis.db import get_engine
    from layers.schema.migrate import migrate

    migrate(get_engine())
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        own_database.stop()
        r = client.get("/healthz")
        assert r.status_code == 503 and r.headers["Retry-After"] == "5" and "retry" in r.json()["detail"]
        r = client.get("/api/v1/layers", headers={"Authorization": "Bearer whatever"})
        assert r.status_code == 503
        own_database.up()
        assert client.get("/healthz").status_code == 200


def test_an_idle_connection_is_checked_before_use_after_a_restart(own_database, monkeypatch):
    from api.app import create_app
    from gis import db
    from layers.schema.migrate import migrate

    migrate(db.get_engine())
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200  # pooled connections now point at this server
        own_database.stop()
        own_database.up()
        monkeypatch.setattr(db, "IDLE_PING_S", 0.0)  # every pooled connection counts as idle: pinged, replaced
        assert client.get("/healthz").status_code == 200
        own_database.stop()
        own_database.up()
        monkeypatch.setattr(db, "IDLE_PING_S", 3600.0)  # in steady use: not pinged, the first request fails
        assert client.get("/healthz").status_code == 503
        assert client.get("/healthz").status_code == 200  # ... and the pool has replaced its connections


def test_killed_import_then_rerun_leaves_each_row_once(demo, tmp_path):
    n = 40_000
    path = tmp_path / "points.csv"
    with path.open("w") as fh:
        fh.write("code,name,point_type,lon,lat\n")
        for i in range(n):
            fh.write(f"KILL-{i},断点续传{i},公交站台,{115.135 + (i % 200) * 0.0001},{34.640 + (i // 200) * 0.0001}\n")
    ccgrid = str(Path(sys.executable).parent / "ccgrid")
    proc = subprocess.Popen([ccgrid, "import", "assessment_points", str(path)], env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2.5)  # somewhere in reading, checking or writing
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert scalar("SELECT count(*) FROM assessment_points WHERE code LIKE 'KILL-%'") in (0, n)
    done = subprocess.run([ccgrid, "import", "assessment_points", str(path)], env=os.environ.copy(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert scalar("SELECT count(*) FROM assessment_points WHERE code LIKE 'KILL-%'") == n
    assert scalar("SELECT count(DISTINCT code) FROM assessment_points WHERE code LIKE 'KILL-%'") == n
    # Gone again: 40,000 points in one 街道 would slow every later test that reads its points (ledgers, exports,
    # the owners map, the fuzzer's examples of each).
    with transaction() as s:
        s.execute(text("DELETE FROM assessment_points WHERE code LIKE 'KILL-%'"))


def test_an_oversized_body_is_refused_before_it_is_read(demo, admin):
    from api.app import create_app

    # The factory takes its settings: no environment to change and restore.
    with TestClient(create_app(Settings(max_body_bytes=2000))) as client:
        before = scalar("SELECT count(*) FROM problems")
        big = {"category": "占道经营", "lon": 115.148, "lat": 34.648, "description": "长" * 1500}
        r = client.post("/api/v1/problems", json=big, headers=admin)
        assert r.status_code == 413
        chunks = iter([b'{"category": "', b"x" * 3000, b'"}'])  # no length given: counted as it streams
        r = client.post("/api/v1/problems", content=chunks, headers={**admin, "Content-Type": "application/json"})
        assert r.status_code == 413
        assert scalar("SELECT count(*) FROM problems") == before
        small = client.post("/api/v1/problems", json={**big, "description": "门口占道"}, headers=admin)
        assert small.status_code == 201, small.text


def test_a_query_past_the_statement_timeout_is_503_saying_so(demo, admin):
    # psycopg counts a cancelled statement as an operational error, as it does a lost server: the answer must say
    # which (narrow the request, not wait for the database).
    from api.app import create_app
    from gis.db import transaction
    from gis.errors import QueryTooSlow

    with pytest.raises(QueryTooSlow, match="took too long"), transaction() as s:
        s.execute(text("SET LOCAL statement_timeout = 10"))
        s.execute(text("SELECT pg_sleep(1)"))
    with TestClient(create_app(Settings(statement_timeout_ms=1))) as client:
        r = client.get("/api/v1/analytics/heatmap", params={"cell": "hex", "size_m": 100}, headers=admin)
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert "took too long" in r.json()["detail"]
