"""Every request is one JSON line (method, route, status, duration, caller, request id) and every 5xx logs its
traceback; nothing personal (tokens, query strings, phone numbers) reaches the log."""

import json
import logging

import pytest
from fastapi.testclient import TestClient

from api.observe import JsonLines


@pytest.fixture
def lines(caplog):
    """The ccgrid loggers' records, formatted as the app writes them to stderr."""
    logger = logging.getLogger("ccgrid")
    logger.addHandler(caplog.handler)
    yield lambda: [json.loads(JsonLines().format(r)) for r in caplog.records]
    logger.removeHandler(caplog.handler)


def test_each_request_is_one_json_line_with_its_id(client, viewer, lines):
    token = viewer["Authorization"].split()[1]
    r = client.get("/api/v1/layers/streets/features", params={"limit": 1, "api_key": "secret-key-1"}, headers=viewer)
    assert r.status_code == 200
    rid = r.headers["X-Request-ID"]
    assert len(rid) >= 16
    (line,) = [x for x in lines() if x["logger"] == "ccgrid.access"]
    assert line["request_id"] == rid and line["method"] == "GET" and line["status"] == 200
    assert line["route"] == "/api/v1/layers/{layer}/features"
    assert line["role"] == "viewer" and line["caller"].startswith("token:") and line["ms"] >= 0
    text = json.dumps(lines(), ensure_ascii=False)
    assert token not in text and "secret-key-1" not in text and "limit=" not in text


def test_a_sane_request_id_is_kept_and_a_strange_one_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    assert client.get("/healthz", headers={"X-Request-ID": "x\" y"}).headers["X-Request-ID"] != "x\" y"


def test_refused_and_anonymous_requests_are_logged_too(client, lines):
    r = client.get("/api/v1/problems/123456789", headers={"Authorization": "Bearer ccg_not-a-token"})
    assert r.status_code == 401
    (line,) = [x for x in lines() if x["logger"] == "ccgrid.access"]
    assert line["status"] == 401 and line["role"] is None and line["route"] == "/api/v1/problems/{problem_id}"
    assert "ccg_not-a-token" not in json.dumps(lines())


def test_a_server_error_logs_its_traceback(demo, lines):
    from api.app import create_app

    app = create_app()

    @app.get("/boom-test")
    def boom():
        raise RuntimeError("kaputt")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom-test")
    assert r.status_code == 500
    errors = [x for x in lines() if x["logger"] == "ccgrid.error"]
    assert errors and "RuntimeError: kaputt" in errors[0]["traceback"] and errors[0]["request_id"]
    access = [x for x in lines() if x["logger"] == "ccgrid.access"]
    assert access[-1]["status"] == 500 and access[-1]["route"] == "/boom-test"


def test_logs_go_to_stderr_as_json_lines(client):
    handlers = [h for h in logging.getLogger("ccgrid").handlers if getattr(h, "ccgrid", False)]
    assert len(handlers) == 1 and isinstance(handlers[0].formatter, JsonLines)
    assert logging.getLogger("ccgrid").propagate is False  # not twice, not in another format
