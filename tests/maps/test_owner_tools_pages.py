"""The owners map's office tools as pages: 人员交接 and 花名册导入 are for accounts that manage people (a reader
is refused with a page saying so), the handover page starts from the person it was opened for, and the sample
roster names real places of the caller's area, so previewing it as it downloads refuses no row."""

from tests.conftest import scalar
from tests.maps.test_place_page import _signed_in


def test_the_tools_are_for_accounts_that_manage_people(client):
    office = _signed_in(client, "city_office")
    for path in ("/maps/owners/handover", "/maps/owners/import"):
        assert office.get(path).status_code == 200, path
        r = _signed_in(client, "viewer").get(path)
        assert r.status_code == 403 and "无权访问" in r.text, path


def test_the_handover_page_starts_from_the_person(client):
    pid, name = scalar("SELECT array[id::text, name] FROM people WHERE region_code LIKE '411421001%' "
                       "ORDER BY id LIMIT 1")
    page = _signed_in(client, "city_office").get(f"/maps/owners/handover?from_person_id={pid}")
    assert page.status_code == 200
    assert f'name="from_person_id" value="{pid}"' in page.text and f'value="{name}"' in page.text
    # Someone outside a 街道 staff's area is not offered: the picker starts empty.
    staff = _signed_in(client, "subdistrict_staff", "411421002").get(f"/maps/owners/handover?from_person_id={pid}")
    assert staff.status_code == 200 and f'name="from_person_id" value="{pid}"' not in staff.text


def test_the_sample_roster_previews_without_a_refused_row(client):
    office = _signed_in(client, "city_office")
    sample = office.get("/maps/owners/import/sample.csv")
    assert sample.status_code == 200 and sample.content.startswith("\ufeff姓名".encode())
    before = scalar("SELECT count(*) FROM assignments")
    r = office.post("/api/v1/assignments/import?dry_run=true", files={"file": ("sample.csv", sample.content)},
                    headers={"X-CSRF-Token": office.cookies["ccgrid_csrf"]})
    assert r.status_code == 200, r.text
    assert r.json()["rejected"] == [] and len(r.json()["outcomes"]) == 3
    assert scalar("SELECT count(*) FROM assignments") == before  # a preview writes nothing
