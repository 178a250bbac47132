"""The problem list's filters, order, counts and export over the JSON API, and the list page (/maps/problems):
its totals against the database, the home page's numbers, and the heatmap's cells."""

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.conftest import scalar

LIST = "/api/v1/problems"
EXPORT = "/api/v1/problems/export"
HEAT = "/api/v1/analytics/heatmap"
FIRST = "duplicate_of IS NULL"
SUB = "411421001"


def _page_total(client, headers, url):
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text[:500]
    return int(re.search(r'id="ccg-total">(\d+)<', r.text).group(1)), r.text


def test_region_sort_and_counts(client, admin):
    body = client.get(LIST, params={"region": SUB, "sort": "due", "counts": "true", "limit": 500},
                      headers=admin).json()
    assert body["total"] == scalar(f"SELECT count(*) FROM problems WHERE region_code LIKE '{SUB}%'") > 0
    assert all(i["region_code"].startswith(SUB) for i in body["items"])
    due = [i["due_at"] for i in body["items"] if i["due_at"]]
    assert due == sorted(due, key=lambda t: datetime.fromisoformat(t))
    by = body["by_status"]
    assert by["all"] == body["total"]
    assert by["open"] == scalar(f"""SELECT count(*) FROM problems WHERE region_code LIKE '{SUB}%'
                                   AND status NOT IN ('closed', 'rejected')""")
    # counts ignore the status asked for; the total does not
    closed = client.get(LIST, params={"region": SUB, "status": "closed", "counts": "true"}, headers=admin).json()
    assert closed["by_status"] == by and closed["total"] == by.get("closed", 0)
    newest = client.get(LIST, params={"sort": "reported_desc", "limit": 50}, headers=admin).json()["items"]
    times = [datetime.fromisoformat(i["reported_at"]) for i in newest]
    assert times == sorted(times, reverse=True)


def test_region_outside_the_callers_scope_is_refused(client, token_for):
    scoped = token_for("viewer", SUB)
    r = client.get(LIST, params={"region": "411421002"}, headers=scoped)
    assert r.status_code == 403 and r.json()["field"] == "region"
    mine = client.get(LIST, params={"limit": 1}, headers=scoped).json()
    assert mine["total"] == scalar(f"SELECT count(*) FROM problems WHERE region_code LIKE '{SUB}%'")


def test_owner_and_duplicates_filters(client, admin):
    pid = scalar("""SELECT a.person_id FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id
                    WHERE a.person_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""")
    body = client.get(LIST, params={"owner_person_id": pid, "duplicates": "false"}, headers=admin).json()
    assert body["total"] == scalar(f"""SELECT count(DISTINCT p.id) FROM problems p JOIN problem_owners po
        ON po.problem_id = p.id JOIN assignments a ON a.id = po.assignment_id
        WHERE a.person_id = {pid} AND p.{FIRST}""") > 0
    assert client.get(LIST, params={"duplicates": "false", "limit": 1}, headers=admin).json()["total"] == \
        scalar(f"SELECT count(*) FROM problems WHERE {FIRST}")


@pytest.mark.parametrize("params", [{"cell": "hex", "size_m": 250},
                                    {"cell": "hex", "size_m": 300, "bbox": "middle"},
                                    {"cell": "hex", "size_m": 500, "bbox": "middle"},
                                    {"cell": "square", "size_m": 1000, "status": "open"},
                                    {"cell": "grid_cell"}, {"cell": "community", "category": "04"}])
def test_a_heatmap_cells_list_has_exactly_its_count(client, admin, params):
    if params.get("bbox") == "middle":  # the demo city's middle: cells cut by the view's edge
        params = {**params, "bbox": scalar("""SELECT concat_ws(',', ST_XMin(e) + w, ST_YMin(e) + h, ST_XMax(e) - w,
            ST_YMax(e) - h) FROM (SELECT e, (ST_XMax(e) - ST_XMin(e)) / 4 AS w, (ST_YMax(e) - ST_YMin(e)) / 4 AS h
            FROM (SELECT ST_Extent(geom)::geometry AS e FROM problems
                      WHERE region_code LIKE '411421%' AND duplicate_of IS NULL) x) y""")}
    heat = client.get(HEAT, params=params, headers=admin).json()
    assert heat["features"]
    # A view's cells are cut by its edge when counted from the reports (300 m); pre-binned sizes (500 m) count the
    # cells that touch it whole.
    assert heat["clipped"] == ("bbox" in params and params["size_m"] == 300)
    for f in [c for c in heat["features"] if c["properties"]["count"]][:6]:
        q = {k: v for k, v in params.items() if k not in ("bbox",)}
        q.update({"cell_key": f["id"], "duplicates": "false", "size_m": heat["size_m"]})
        if heat["clipped"]:
            q["bbox"] = params["bbox"]
        q = {k: v for k, v in q.items() if v is not None}
        assert client.get(LIST, params=q, headers=admin).json()["total"] == f["properties"]["count"], (f["id"], q)


def test_bad_cell_keys_name_the_field(client, admin):
    for params, field in [({"cell": "hex", "cell_key": "a:b", "size_m": 250}, "cell_key"),
                          ({"cell": "hex", "cell_key": "1:2"}, "size_m"),
                          ({"cell": "community", "cell_key": "123"}, "cell_key")]:
        r = client.get(LIST, params=params, headers=admin)
        assert r.status_code == 422 and r.json()["field"] == field, r.text


def test_home_numbers_link_to_lists_of_that_many(client, admin):
    home = client.get("/maps/", headers=admin).text
    cards = re.findall(r'<a class="ccg-card ccg-card-link" href="([^"]+)"><div class="n">([^<]+)</div>'
                       r'<div class="t">([^<]+)</div>', home)
    names = {t: (href.replace("&amp;", "&"), n) for href, n, t in cards}
    assert {"今日新增问题", "未办结问题", "已超期", "近30天销号"} <= set(names)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert names["今日新增问题"][0] == f"/maps/problems?since={today}"
    for title in ("今日新增问题", "未办结问题", "已超期", "近30天销号"):
        href, n = names[title]
        total, _ = _page_total(client, admin, href)
        assert total == int(n), (title, href)
    assert int(names["已超期"][1]) > 0 and int(names["近30天销号"][1]) > 0


def test_list_page_filters_and_pages(client, admin):
    total, html = _page_total(client, admin, f"/maps/problems?region={SUB}&limit=20&offset=20")
    assert total == scalar(f"SELECT count(*) FROM problems WHERE region_code LIKE '{SUB}%' AND {FIRST}") > 40
    ids = [int(x) for x in re.findall(r'<tr data-id="(\d+)">', html)]
    assert len(ids) == 20
    expected = _ids(f"region_code LIKE '{SUB}%' AND {FIRST} ORDER BY reported_at DESC, id DESC LIMIT 20 OFFSET 20")
    assert ids == expected
    assert 'aria-current="page">2<' in html and "offset=40" in html and "区域：" in html
    r = client.get("/maps/problems?due_within_hours=abc&sort=nope", headers=admin)
    assert r.status_code == 400 and "due_within_hours" in r.text and "sort must be" in r.text
    r = client.get("/maps/problems?category=不存在的类别", headers=admin)
    assert r.status_code == 400 and "unknown problem category" in r.text


def _ids(where):
    from sqlalchemy import text

    from gis.db import transaction

    with transaction() as s:
        return list(s.execute(text(f"SELECT id FROM problems WHERE {where}")).scalars())


def test_export_is_exactly_the_filtered_list(client, admin):
    params = {"region": SUB, "status": "open", "duplicates": "false", "sort": "due"}
    listed = client.get(LIST, params={**params, "limit": 10_000}, headers=admin).json()
    r = client.get(EXPORT, params={**params, "format": "xlsx"}, headers=admin)
    assert r.status_code == 200 and r.headers["x-truncated"] == "false"
    rows = list(load_workbook(io.BytesIO(r.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and "责任人" in rows[0]
    assert [row[0] for row in rows[1:]] == [i["id"] for i in listed["items"]]
    c = client.get(EXPORT, params={**params, "format": "csv"}, headers=admin)
    assert c.headers["content-type"].startswith("text/csv") and c.content.startswith(b"\xef\xbb\xbf")
    got = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert [int(row[0]) for row in got[1:]] == [i["id"] for i in listed["items"]]


def test_export_escapes_formulas_and_says_when_capped(client, admin, monkeypatch):
    from gis.settings import get_settings

    lon, lat = [float(v) for v in scalar("SELECT ST_X(geom) || ',' || ST_Y(geom) FROM problems "
                                         "ORDER BY id LIMIT 1").split(",")]
    r = client.post(LIST, json={"category": "0405", "source": "patrol", "lon": lon, "lat": lat,
                                "address": "=HYPERLINK(\"http://x\")"}, headers=admin)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    c = client.get(EXPORT, params={"format": "csv", "sort": "id_desc"}, headers=admin)
    first = next(row for row in csv.reader(io.StringIO(c.content.decode("utf-8-sig"))) if row[0] == str(pid))
    assert "'=HYPERLINK(\"http://x\")" in first
    monkeypatch.setattr(get_settings(), "export_max_rows", 5)
    capped = client.get(EXPORT, params={"format": "xlsx"}, headers=admin)
    assert capped.headers["x-truncated"] == "true" and capped.headers["x-row-count"] == "5"
    rows = list(load_workbook(io.BytesIO(capped.content), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 7 and "仅含前 5 行" in rows[-1][0]
    _, html = _page_total(client, admin, "/maps/problems")
    assert 'id="ccg-export-cap"' in html
