"""Idempotency-Key on the field app's writes (report, photo, lifecycle action, patrol, checklist visit): a request
sent again with the same key is answered with the first answer (same status and body, `Idempotency-Replayed`) and
writes nothing; the same key with another body is 422 naming the header; keys are per caller; a write that failed
leaves no key behind; a key whose first request is still running is 409; an expired key writes anew."""

import json
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from gis.db import transaction
from layers.ledger.calendar import TZ
from tests import crafted
from tests.conftest import scalar
from tests.images import photo


@pytest.fixture(scope="module")
def where(demo):
    points = iter(crafted.spots("411421002", 40, "east_first"))
    return lambda: next(points)


def _key():
    return {"Idempotency-Key": str(uuid.uuid4())}


def _report(client, headers, where, **extra):
    lon, lat = where()
    body = {"category": "0501", "lon": lon, "lat": lat, "external_id": f"idem-{uuid.uuid4()}", **extra}
    return body, client.post("/api/v1/problems", json=body, headers=headers)


def test_a_report_sent_twice_is_written_once(client, admin, where):
    headers = {**admin, **_key()}
    body, first = _report(client, headers, where)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/problems", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert scalar("SELECT count(*) FROM problems WHERE external_id = :e", e=body["external_id"]) == 1


def test_the_same_key_with_another_body_is_refused(client, admin, where):
    headers = {**admin, **_key()}
    body, first = _report(client, headers, where)
    assert first.status_code == 201
    other = {**body, "description": "另一件事"}
    r = client.post("/api/v1/problems", json=other, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key", r.text
    assert scalar("SELECT count(*) FROM problems WHERE external_id = :e", e=body["external_id"]) == 1


def test_keys_belong_to_their_caller(client, admin, token_for, where):
    key = _key()
    _, first = _report(client, {**admin, **key}, where)
    _, second = _report(client, {**token_for("city_office"), **key}, where)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"] and "Idempotency-Replayed" not in second.headers


def test_a_failed_write_keeps_no_key(client, admin, where):
    headers = {**admin, **_key()}
    bad, r = _report(client, headers, where, category="no-such-category")
    assert r.status_code == 422
    good, r = _report(client, headers, where)  # the corrected report under the same key is written
    assert r.status_code == 201 and "Idempotency-Replayed" not in r.headers


def test_photo_action_and_patrol_are_written_once(client, admin, where):
    _, reported = _report(client, admin, where)
    pid = reported.json()["id"]
    headers = {**admin, **_key()}
    files = {"file": ("x.jpg", photo(41), "image/jpeg")}
    first = client.post(f"/api/v1/problems/{pid}/photos", files=files, headers=headers)
    again = client.post(f"/api/v1/problems/{pid}/photos", files={"file": ("x.jpg", photo(41), "image/jpeg")},
                        headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert scalar("SELECT count(*) FROM problem_photos WHERE problem_id = :p", p=pid) == 1

    headers = {**admin, **_key()}
    first = client.post(f"/api/v1/problems/{pid}/actions", json={"action": "立案"}, headers=headers)
    again = client.post(f"/api/v1/problems/{pid}/actions", json={"action": "立案"}, headers=headers)
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotency-Replayed"] == "true"
    assert scalar("SELECT count(*) FROM problem_events WHERE problem_id = :p AND action = '立案'", p=pid) == 1

    start = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
    lon, lat = where()
    track = {"track": {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.001, lat]]},
             "started_at": start.isoformat(), "ended_at": (start + timedelta(minutes=5)).isoformat(),
             "walker": "幂等巡查员"}
    headers = {**admin, **_key()}
    first = client.post("/api/v1/patrols", json=track, headers=headers)
    again = client.post("/api/v1/patrols", json=track, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert scalar("SELECT count(*) FROM patrols WHERE walker = '幂等巡查员'") == 1


def test_a_key_in_flight_is_409(client, where):
    from api.auth import create_token

    label = f"idem {uuid.uuid4()}"
    with transaction() as s:
        secret = create_token(s, role="admin", label=label)
    caller = f"token:{scalar('SELECT id FROM api_tokens WHERE label = :l', l=label)}"
    headers = {"Authorization": f"Bearer {secret}", **_key()}
    with transaction() as s:  # another request holding the key: its transaction has not committed yet
        s.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:c || ' ' || :k, 0))"),
                  {"c": caller, "k": headers["Idempotency-Key"]})
        body, r = _report(client, headers, where)
        assert r.status_code == 409 and r.json()["field"] == "Idempotency-Key", r.text
    assert scalar("SELECT count(*) FROM problems WHERE external_id = :e", e=body["external_id"]) == 0
    r = client.post("/api/v1/problems", json=body, headers=headers)  # once the first is done, the retry goes in
    assert r.status_code == 201


def test_an_expired_key_writes_anew(client, admin, where):
    headers = {**admin, **_key()}
    body, first = _report(client, headers, where)
    with transaction() as s:
        s.execute(text("UPDATE idempotency_keys SET created_at = now() - interval '8 days' WHERE key = :k"),
                  {"k": headers["Idempotency-Key"]})
    body2 = {**body, "external_id": f"idem-{uuid.uuid4()}"}
    r = client.post("/api/v1/problems", json=body2, headers=headers)  # after 7 days the key is free again
    assert r.status_code == 201 and "Idempotency-Replayed" not in r.headers
    assert json.loads(r.text)["id"] != first.json()["id"]


def test_a_shrunk_photo_keeps_its_capture_time(client, admin, where):
    _, reported = _report(client, admin, where)
    pid = reported.json()["id"]
    sent = client.post(f"/api/v1/problems/{pid}/photos", files={"file": ("x.jpg", photo(43), "image/jpeg")},
                       data={"taken_at": "2026-11-30T08:15:00+08:00"}, headers=admin)
    assert sent.status_code == 201, sent.text
    assert sent.json()["taken_at"].startswith("2026-11-30T08:15:00")
    future = client.post(f"/api/v1/problems/{pid}/photos", files={"file": ("y.jpg", photo(44), "image/jpeg")},
                         data={"taken_at": "2099-01-01T00:00:00+08:00"}, headers=admin)
    assert future.status_code == 422 and future.json()["field"] == "taken_at"


def test_a_checklist_visit_sent_twice_is_written_once(client, admin):
    point, ptype = scalar("SELECT array[a.id::text, a.point_type] FROM assessment_points a WHERE EXISTS (SELECT 1 "
                          "FROM checklist_items c WHERE c.point_type = a.point_type) ORDER BY a.id DESC LIMIT 1")
    items = client.get(f"/api/v1/checklists/{ptype}", headers=admin).json()
    body = {"kind": "mystery", "inspector": "幂等检查员", "results": {i["code"]: k != 0 for k, i in enumerate(items)}}
    headers = {**admin, **_key()}
    first = client.post(f"/api/v1/assessment-points/{point}/visits", json=body, headers=headers)
    again = client.post(f"/api/v1/assessment-points/{point}/visits", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json(), first.text
    assert again.headers["Idempotency-Replayed"] == "true"
    assert scalar("SELECT count(*) FROM inspection_visits WHERE inspector = '幂等检查员'") == 1
    assert len(first.json()["failed"]) == 1  # the first item failed: one problem, named by its item
