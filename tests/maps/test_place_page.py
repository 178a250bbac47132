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
