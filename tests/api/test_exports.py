"""Exports (三本账, 责任清单, `ccgrid ledger export`): a row cap with a clear message, a few at a time per process
(the rest get 429 with Retry-After), written as they are read."""

import json
from io import BytesIO

import pytest
from openpyxl import load_workbook

from gis.limits import export_slot
from gis.settings import get_settings
from tests.api.test_cli import run


@pytest.fixture
def one_slot(monkeypatch):
    monkeypatch.setattr(get_settings(), "export_concurrency", 1)


def test_a_limit_past_the_cap_is_refused(client, viewer):
    r = client.get("/api/v1/ledgers/problems", params={"format": "xlsx", "limit": 1_000_000}, headers=viewer)
    assert r.status_code == 422 and r.json()["field"] == "limit"
    detail = r.json()["detail"]
    assert f"{get_settings().export_max_rows:,}" in detail and "CCGRID_EXPORT_MAX_ROWS" in detail


@pytest.mark.parametrize("path", ["/api/v1/ledgers/problems?format=xlsx", "/api/v1/ledgers/points",
                                  "/api/v1/duty-list.xlsx"])
def test_exports_beyond_the_concurrency_limit_get_429(client, viewer, one_slot, path):
    with export_slot():  # another export is running in this process
        r = client.get(path, headers=viewer)
        assert r.status_code == 429 and r.headers["Retry-After"].isdigit()
        assert "exports are already running" in r.json()["detail"]
    assert client.get(path, headers=viewer).status_code == 200  # the slot is free again


def test_a_cut_ledger_says_so(client, viewer):
    total = len(client.get("/api/v1/ledgers/problems", headers=viewer).json())
    assert total > 3
    r = client.get("/api/v1/ledgers/problems", params={"format": "xlsx", "limit": 3}, headers=viewer)
    assert r.status_code == 200 and r.headers["X-Truncated"] == "true" and r.headers["X-Row-Count"] == "3"
    rows = list(load_workbook(BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and len(rows) == 1 + 3 + 1 and "仅含前 3 行" in rows[-1][0]
    r = client.get("/api/v1/ledgers/problems", params={"limit": total}, headers=viewer)
    assert r.headers["X-Truncated"] == "false" and len(json.loads(r.content)) == total


def test_the_json_ledger_keeps_its_shape(client, viewer):
    rows = client.get("/api/v1/ledgers/rectification", params={"limit": 5}, headers=viewer).json()
    assert len(rows) == 5 and {"编号", "派遣时间", "是否按期"} <= set(rows[0])
    assert isinstance(rows[0]["编号"], int) and "T" in rows[0]["派遣时间"]


def test_a_duty_list_past_the_cap_is_refused_not_cut(client, admin, monkeypatch):
    monkeypatch.setattr(get_settings(), "export_max_rows", 2)
    r = client.get("/api/v1/duty-list.xlsx", params={"region": "411421"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "region" and "more than 2 rows" in r.json()["detail"]


def test_cli_ledger_export_streams_to_a_workbook(demo, tmp_path):
    out = tmp_path / "problems.xlsx"
    r = run("ledger", "export", "problems", str(out), "--region", "411421001")
    assert r.returncode == 0, r.stderr
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and f"wrote {len(rows) - 1} rows" in r.stdout
    assert not (tmp_path / "problems.xlsx.part").exists()
