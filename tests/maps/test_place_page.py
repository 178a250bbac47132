"""The place page shows a place's owners today, its gaps against the coverage rules and its open problems, from the
database, and only inside the caller's region."""

from tests.conftest import scalar


def test_a_street_page_names_its_owners_and_gaps(client, admin):
    sid = scalar("SELECT a.feature_id FROM assignments_on(current_date) a JOIN people p ON p.id = a.person_id "
                 "WHERE a.layer = 'streets' ORDER BY a.feature_id LIMIT 1")
    owners = scalar("SELECT array_agg(DISTINCT p.name) FROM assignments_on(current_date) a JOIN people p "
                    "ON p.id = a.person_id WHERE a.layer = 'streets' AND a.feature_id = :i", i=sid)
    r = client.get(f"/maps/places/streets/{sid}", headers=admin)
    assert r.status_code == 200, r.text[:300]
    assert all(name in r.text for name in owners)
    assert "覆盖规则" in r.text and "未办结问题" in r.text


def test_an_unowned_street_shows_the_gap(client, admin):
    sid = scalar("SELECT s.id FROM streets s WHERE s.road_class = 'arterial' AND NOT EXISTS (SELECT 1 FROM "
                 "assignments_on(current_date) a WHERE a.layer = 'streets' AND a.feature_id = s.id) ORDER BY s.id "
                 "LIMIT 1")
    if sid is None:
        sid = scalar("SELECT s.id FROM streets s WHERE NOT EXISTS (SELECT 1 FROM assignments_on(current_date) a "
                     "WHERE a.layer = 'streets' AND a.feature_id = s.id) ORDER BY s.id LIMIT 1")
    r = client.get(f"/maps/places/streets/{sid}", headers=admin)
    assert r.status_code == 200 and "目前无人负责" in r.text


def test_another_region_and_unknown_places_are_404(client, token_for):
    staff = token_for("subdistrict_staff", "411421001")
    other = scalar("SELECT id FROM grid_cells WHERE region_code LIKE '411421002%' ORDER BY id LIMIT 1")
    mine = scalar("SELECT id FROM grid_cells WHERE region_code LIKE '411421001%' ORDER BY id LIMIT 1")
    assert client.get(f"/maps/places/grid_cells/{mine}", headers=staff).status_code == 200
    for path in (f"/maps/places/grid_cells/{other}", "/maps/places/grid_cells/999999999",
                 "/maps/places/regions/1", "/maps/places/streets/abc"):
        assert client.get(path, headers=staff).status_code == 404, path


def _signed_in(client, role, region=None):
    from tests.api.test_accounts_api import _account, _logged_in

    return _logged_in(client, _account(role, region))


def test_the_tools_are_for_accounts_that_manage_people(client):
    sid = scalar("SELECT id FROM streets WHERE road_class = 'back_lane' ORDER BY id LIMIT 1")
    office = _signed_in(client, "city_office").get(f"/maps/places/streets/{sid}")
    assert office.status_code == 200 and 'data-api="/api/v1/assignments"' in office.text
    viewer = _signed_in(client, "viewer").get(f"/maps/places/streets/{sid}")
    assert viewer.status_code == 200 and "当前责任人" in viewer.text
    assert "data-api=" not in viewer.text  # a reader sees the owners, not the forms


def test_who_owned_it_on_a_past_day(client, admin):
    from datetime import date, timedelta

    from gis.db import transaction
    from layers.access.caller import SYSTEM
    from layers.registry import assignments, people

    sid = scalar("SELECT id FROM streets WHERE road_class = 'branch' AND NOT EXISTS (SELECT 1 FROM assignments a "
                 "WHERE a.layer = 'streets' AND a.feature_id = streets.id) ORDER BY id DESC LIMIT 1")
    start = date.today() - timedelta(days=40)
    with transaction() as s:
        pid = people.create_person(s, name="往日路长", region_code="411421001", caller=SYSTEM)
        aid = assignments.assign(s, role="road_chief", layer="streets", feature_ids=[sid],
                                 holder=assignments.Holder(pid, None), valid_from=start, caller=SYSTEM).created[0]
        assignments.end(s, aid, on=start + timedelta(days=20), caller=SYSTEM)
    then = client.get(f"/maps/places/streets/{sid}", params={"on": str(start + timedelta(days=5))}, headers=admin)
    assert then.status_code == 200 and "往日路长" in then.text.split("历史")[0]
    now = client.get(f"/maps/places/streets/{sid}", headers=admin)
    assert "目前无人负责" in now.text and "往日路长" in now.text  # in the history only
    bad = client.get(f"/maps/places/streets/{sid}", params={"on": "2026-13-40"}, headers=admin)
    assert bad.status_code == 400 and "不是日期" in bad.text


def test_the_owners_maps_panel_is_a_fragment(client):
    sid = scalar("SELECT feature_id FROM assignments_on(current_date) WHERE layer = 'streets' ORDER BY id LIMIT 1")
    office = _signed_in(client, "city_office")
    r = office.get(f"/maps/places/streets/{sid}/panel")
    assert r.status_code == 200 and "<html" not in r.text and 'data-then="event"' in r.text
    assert office.get("/maps/places/streets/999999999/panel").status_code == 404
    staff = _signed_in(client, "subdistrict_staff", "411421001")
    elsewhere = scalar("SELECT id FROM streets WHERE region_code LIKE '411421002%' ORDER BY id LIMIT 1")
    assert staff.get(f"/maps/places/streets/{elsewhere}/panel").status_code == 404
    from tests.api.test_accounts_api import _browser

    expired = _browser(client).get(f"/maps/places/streets/{sid}/panel")
    assert expired.status_code == 401 and "登录已过期" in expired.text  # a script shows it, no login page inside
