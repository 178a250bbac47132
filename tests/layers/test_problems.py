"""Problem intake, routing, duplicates and the lifecycle on the demo city."""

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text

from gis.db import transaction
from gis.errors import Conflict, Forbidden, InvalidInput
from layers.access.caller import SYSTEM
from layers.ledger import intake as problems
from layers.ledger import lifecycle, photos
from tests.conftest import scalar
from tests.images import as_role, photo


def report(category="占道经营", lon=None, lat=None, **kw):
    with transaction() as s:
        return problems.intake(s, problems.Report(category=category, source=kw.pop("source", "patrol"),
                                                  lon=lon, lat=lat, **kw), caller=SYSTEM)


@pytest.fixture(scope="module")
def spot(demo):
    """12 m north of the middle of a demo east-west arterial that has a 路长, and what is there."""
    with transaction() as s:
        row = s.execute(text("""
            SELECT st.id AS street_id, ST_X(p) AS lon, ST_Y(p) AS lat,
                   (SELECT g.code FROM grid_cells g WHERE ST_Intersects(g.geom, p) LIMIT 1) AS cell,
                   (SELECT array_agg(a.id ORDER BY a.id) FROM assignments_on(current_date) a
                     WHERE a.layer = 'streets' AND a.feature_id = st.id) AS street_owners
            FROM streets st, LATERAL (SELECT ST_Transform(ST_Translate(ST_LineInterpolatePoint(st.geom_m, 0.5), 0, 12),
                                                          4490) AS p) x
            WHERE st.road_class = 'arterial' AND st.region_code LIKE '411421001%' AND st.code LIKE '411421UH%'
              AND EXISTS (SELECT 1 FROM assignments_on(current_date) a WHERE a.layer = 'streets'
                          AND a.feature_id = st.id AND a.role = 'road_chief')
            ORDER BY st.id LIMIT 1""")).mappings().one()
    return dict(row)


def test_report_routes_to_cell_street_and_owners(spot):
    pid = report(lon=spot["lon"], lat=spot["lat"], description="门口占道")
    with transaction() as s:
        p = problems.get(s, pid, with_contact=True)
    assert p["grid_cell_code"] == spot["cell"] and p["region_code"] == spot["cell"][:12]
    assert p["street_id"] == spot["street_id"] and p["street_distance_m"] == pytest.approx(12, abs=0.5)
    routed = scalar("SELECT array_agg(assignment_id ORDER BY assignment_id) FROM problem_owners "
                    "WHERE problem_id = :p AND place = 'street'", p=pid)
    assert routed == spot["street_owners"]
    assert any(o["role"] == "road_chief" and o["phone"] for o in p["owners"])
    assert p["history"][0]["action"] == "上报" and p["status"] == "reported"


def test_street_tolerance_is_per_category(spot):
    # 38 m north of the segment (parallel streets are 100 ± 16 m apart): 井盖缺失 routes within 30 m, 乱搭乱建 50 m.
    lon, lat = (scalar(f"SELECT ST_{c}(ST_Transform(ST_Translate(ST_LineInterpolatePoint(geom_m, 0.5), 0, 38), 4490)) "
                       "FROM streets WHERE id = :i", i=spot["street_id"]) for c in "XY")
    near = report("井盖缺失", lon=lon, lat=lat)
    wide = report("乱搭乱建", lon=lon, lat=lat)
    assert scalar("SELECT street_id FROM problems WHERE id = :p", p=near) is None
    assert scalar("SELECT street_id FROM problems WHERE id = :p", p=wide) == spot["street_id"]


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"category": "占道经营", "lon": 116.4, "lat": 39.9}, "lon", "outside every region"),
    ({"category": "乱扔烟头", "lon": 115.148, "lat": 34.648}, "category", "unknown problem category"),
    ({"category": "街面秩序", "lon": 115.148, "lat": 34.648}, "category", "top-level class"),
    ({"category": "占道经营", "lon": 115.148, "lat": 34.648, "source": "weibo"}, "source", "unknown source"),
])
def test_bad_reports_are_refused_and_write_nothing(demo, kwargs, field, words):
    before = scalar("SELECT count(*) FROM problems")
    with pytest.raises(InvalidInput) as info:
        report(**kwargs)
    assert info.value.field == field and words in info.value.message
    assert scalar("SELECT count(*) FROM problems") == before


def test_duplicates_link_to_the_open_report_nearby(spot):
    lon, lat = spot["lon"] + 0.003, spot["lat"] - 0.002
    first = report("暴露垃圾", lon=lon, lat=lat)
    second = report("暴露垃圾", lon=lon + 0.0001, lat=lat)  # ~9 m away, same category
    other = report("乱堆物料", lon=lon + 0.0001, lat=lat)  # same place, another category
    far = report("暴露垃圾", lon=lon + 0.002, lat=lat)  # ~180 m away
    assert scalar("SELECT duplicate_of FROM problems WHERE id = :p", p=second) == first
    assert scalar("SELECT count(*) FROM problems WHERE id IN (:a, :b) AND duplicate_of IS NULL", a=other, b=far) == 2
    with transaction() as s:
        shown = problems.get(s, first)
    assert (shown["duplicates"], shown["duplicate_ids"]) == (1, [second])


def _moved(lon, lat, dx_m, dy_m):
    """The point dx_m east and dy_m north of (lon, lat), in the city's metric CRS."""
    return tuple(scalar(f"SELECT ST_{c}(ST_Transform(ST_Translate(ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 4490), "
                        "ccgrid_metric_srid()), :dx, :dy), 4490))", x=lon, y=lat, dx=dx_m, dy=dy_m) for c in "XY")


@pytest.mark.parametrize(("k", "share", "linked"), [(0, 0.9, True), (1, 1.1, False)])
def test_a_duplicate_is_within_the_category_radius_east_west_as_north_south(spot, k, share, linked):
    # The master probe looks in a box in degrees, narrower in longitude away from the equator: a report due east of
    # its master, just inside the radius, is still found, and one just outside is not.
    radius = scalar("SELECT duplicate_radius_m FROM problem_categories WHERE name = '乱贴乱画'")
    lon, lat = _moved(spot["lon"], spot["lat"], -300, 400 + 300 * k)
    first = report("乱贴乱画", lon=lon, lat=lat)
    east = report("乱贴乱画", *_moved(lon, lat, share * radius, 0))
    north = report("乱贴乱画", *_moved(lon, lat, 0, share * radius))
    masters = [scalar("SELECT duplicate_of FROM problems WHERE id = :p", p=p) for p in (east, north)]
    assert masters == ([first, first] if linked else [None, None])


def test_a_report_outside_the_callers_region_is_refused_and_writes_nothing(spot):
    before = scalar("SELECT count(*) FROM problems")
    with pytest.raises(InvalidInput) as info, transaction() as s:  # the spot lies in 街道 411421001
        problems.intake(s, problems.Report(category="占道经营", source="patrol", lon=spot["lon"], lat=spot["lat"]),
                        caller=replace(SYSTEM, scope="411421002"))
    assert info.value.field == "lon" and "outside your region 411421002" in info.value.message
    assert scalar("SELECT count(*) FROM problems") == before


def _walk(pid, *steps, role="admin", actor="test"):
    with transaction() as s:
        for action, kw in steps:
            lifecycle.transition(s, pid, action, caller=as_role(role, actor), **kw)


def _photo(pid, seed=None, actor="test"):
    with transaction() as s:
        return photos.attach(s, pid, photo(pid if seed is None else seed), caller=as_role("admin", actor))["id"]


def test_full_lifecycle_to_closing_with_rework_and_extension(spot):
    pid = report("露天烧烤", lon=spot["lon"], lat=spot["lat"] + 0.0002)
    _walk(pid, ("立案", {}), ("派遣", {}), ("签收整改", {}))
    due = scalar("SELECT due_at FROM problems WHERE id = :p", p=pid)
    _walk(pid, ("延期", {"note": "商户搬迁", "due_at": due + timedelta(days=7)}))
    photo = _photo(pid)
    _walk(pid, ("整改完成", {"photo_id": photo}), ("退回", {"note": "未清理干净"}),
          ("整改完成", {"photo_id": photo}))
    # Photographed at 核查, by another than who rectified it (the category's verifier_must_differ).
    _walk(pid, ("核查通过", {"photo_id": _photo(pid, seed=pid + 1, actor="verifier")}), ("销号", {}),
          actor="verifier")
    row = scalar("SELECT row(status, rework_count, extension_count, closed_at IS NOT NULL)::text FROM problems "
                 "WHERE id = :p", p=pid)
    assert row == "(closed,1,1,t)"
    actions = scalar("SELECT array_agg(action ORDER BY id) FROM problem_events WHERE problem_id = :p", p=pid)
    assert actions == ["上报", "立案", "派遣", "签收整改", "延期", "整改完成", "退回", "整改完成", "核查通过", "销号"]
    with pytest.raises(Exception, match="append-only"), transaction() as s:
        s.execute(text("UPDATE problem_events SET note = 'x' WHERE problem_id = :p"), {"p": pid})


def test_every_illegal_transition_is_refused(spot):
    with transaction() as s:
        statuses = list(s.execute(text("SELECT code FROM problem_statuses")).scalars())
        actions = set(s.execute(text("SELECT action FROM problem_transitions")).scalars())
        allowed = set(s.execute(text("SELECT from_status, action FROM problem_transitions")).all())
    pid = report("占压盲道", lon=spot["lon"], lat=spot["lat"] - 0.0002)
    refused = 0
    for status, action in itertools.product(statuses, sorted(actions)):
        if (status, action) in allowed:
            continue
        with transaction() as s:
            s.execute(text("UPDATE problems SET status = :s WHERE id = :p"), {"s": status, "p": pid})
        with pytest.raises(Conflict, match="cannot"), transaction() as s:
            lifecycle.transition(s, pid, action, caller=as_role("admin"), note="n", photo_id=None)
        assert scalar("SELECT status FROM problems WHERE id = :p", p=pid) == status
        refused += 1
    assert refused == len(statuses) * len(actions) - len(allowed)


def test_roles_and_evidence_are_enforced(spot):
    pid = report("乱摆乱放", lon=spot["lon"] + 0.0003, lat=spot["lat"])
    with pytest.raises(Forbidden), transaction() as s:
        lifecycle.transition(s, pid, "立案", caller=as_role("grid_worker"))
    _walk(pid, ("立案", {}), ("派遣", {}), ("签收整改", {}))
    with pytest.raises(InvalidInput, match="needs a photo"), transaction() as s:
        lifecycle.transition(s, pid, "整改完成", caller=as_role("grid_worker"))
    _walk(pid, ("整改完成", {"photo_id": _photo(pid)}), role="grid_worker")
    with pytest.raises(Forbidden), transaction() as s:
        lifecycle.transition(s, pid, "核查通过", caller=as_role("street_chief"), photo_id=_photo(pid, seed=pid + 1))


@pytest.mark.parametrize(("data", "words"), [(b"GIF89a" + b"\x00" * 10, "not a readable JPEG or PNG"),
                                             (photo(1, "PNG") + b"\x00" * (5 * 1024 * 1024), "at most")])
def test_photos_are_checked(spot, data, words):
    pid = report(lon=spot["lon"], lat=spot["lat"] + 0.0004)
    with pytest.raises(InvalidInput, match=words), transaction() as s:
        photos.attach(s, pid, data, caller=as_role("admin"))
    assert scalar("SELECT count(*) FROM problem_photos WHERE problem_id = :p", p=pid) == 0


def test_a_broken_or_foreign_file_is_bad_input(demo, tmp_path):
    from layers.ledger.bulk_import import import_problems

    broken = tmp_path / "12345.xlsx"
    broken.write_bytes(b"this is not a spreadsheet")
    for path in (broken, tmp_path / "missing.csv", tmp_path / "reports.json"):
        if path.suffix == ".json":
            path.write_text("[]")
        with pytest.raises(InvalidInput) as info, transaction() as s:
            import_problems(s, path, actor="test")
        assert info.value.field == "path"
