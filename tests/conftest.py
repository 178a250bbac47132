"""A throwaway PostGIS database per test run, on the embedded cluster (or the server in CCGRID_DATABASE_URL)."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis.cluster import Cluster
from gis.db import get_engine, reset_engines, transaction
from gis.settings import Settings, get_settings


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    base = Settings()
    server_url = base.database_url or Cluster(base.data_dir).up()
    name = f"ccgrid_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = _with_database(server_url, "postgres").replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    test_url = _with_database(server_url, name)
    os.environ["CCGRID_DATABASE_URL"] = test_url
    get_settings.cache_clear()
    reset_engines()
    from layers.schema.migrate import migrate

    migrate(get_engine())
    yield test_url
    get_engine().dispose()
    reset_engines()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def demo(database: str) -> dict[str, int]:
    """The small demo city, loaded once for the run."""
    from layers.demo import city as demo_city

    with transaction() as s:
        return demo_city.load(s, scale="small", seed=2021)


@pytest.fixture(scope="session")
def client(demo) -> Iterator[TestClient]:
    from api.app import create_app

    with TestClient(create_app(engine=get_engine())) as c:
        yield c


@pytest.fixture(scope="session")
def server(client):
    """The app on a real loopback socket, for a client library that speaks plain HTTP."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from api.cli.serve import proxy_options

    # Configured as `ccgrid serve` configures uvicorn (no proxy trusted unless the setting names one).
    srv = uvicorn.Server(uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="warning",
                                        **proxy_options(get_settings().forwarded_allow_ips)))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


def _token(role: str, region: str | None = None) -> str:
    from api.auth import create_token

    with transaction() as s:
        return create_token(s, role=role, region_code=region, label=f"test {role}")


@pytest.fixture(scope="session")
def admin(demo) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token('admin')}"}


@pytest.fixture(scope="session")
def viewer(demo) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token('viewer')}"}


@pytest.fixture
def token_for():
    def make(role: str, region: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {_token(role, region)}"}

    return make


def scalar(sql: str, **params):
    with transaction() as s:
        return s.execute(text(sql), params).scalar()


def pytest_collection_modifyitems(config, items):
    # The fuzzer writes whatever it gets accepted: run it after every test that counts rows.
    items.sort(key=lambda item: item.get_closest_marker("fuzz") is not None)


def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: schemathesis fuzzing over the OpenAPI schema (runs last)")
