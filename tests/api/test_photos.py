"""Problem photos over HTTP: who may attach what, what is kept, how fast, and the re-inspection photo rule."""

import io
import struct
import zlib
from datetime import datetime

import pytest
from PIL import Image, ImageOps
from sqlalchemy import text

from gis.db import transaction
from gis.settings import get_settings
from tests import crafted
from tests.conftest import scalar
from tests.images import encode, photo, picture, street

SEEDS = iter(range(1000, 100_000))  # every test photo a different picture unless a test means otherwise


@pytest.fixture(scope="module")
def where(demo):
    """Spots 40 m apart inside the largest 社区 of 街道 411421002 (so no report is a duplicate of another)."""
    points = iter(crafted.spots("411421002", 40, "west_first"))
    return lambda: next(points)


def _report(client, headers, where, category="0501"):
    lon, lat = where()
    r = client.post("/api/v1/problems", json={"category": category, "lon": lon, "lat": lat}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _attach(client, pid, data, headers, name="x.jpg", mime="image/jpeg"):
    return client.post(f"/api/v1/problems/{pid}/photos", files={"file": (name, data, mime)}, headers=headers)


def _act(client, pid, headers, action, **body):
    return client.post(f"/api/v1/problems/{pid}/actions", json={"action": action, **body}, headers=headers)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width × height 8-bit grey pixels but carries only a few rows of data (a pixel bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def _png_blank(width: int, height: int, depth: int) -> bytes:
    """A complete RGBA PNG of `depth` bits per sample, all zero: a few hundred bytes that unpack to
    width × height × 4 × depth/8 bytes (the 280 KB 6000×6000 16-bit PNG of issue #15, made small)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = zlib.compress((b"\x00" * (1 + width * 4 * depth // 8)) * height, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, 6, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


# --- item 7: who may attach, what is kept, how fast ------------------------------------------------------------

def test_the_public_attaches_only_to_its_own_open_reports(client, admin, token_for, where):
    mine, other = token_for("public"), token_for("public")
    pid = _report(client, mine, where)
    own = _attach(client, pid, photo(next(SEEDS)), mine)
    assert own.status_code == 201, own.text

    # Another member of the public, on someone else's report, or on staff's: refused, nothing stored.
    staff_pid = _report(client, admin, where)
    for target, headers in ((pid, other), (staff_pid, mine)):
        r = _attach(client, target, photo(next(SEEDS)), headers)
        assert r.status_code == 403 and r.json()["field"] == "id", r.text
    assert scalar("SELECT count(*) FROM problem_photos WHERE problem_id IN (:a, :b)", a=pid, b=staff_pid) == 1
    # The photo says who uploaded it (the token) and at which step.
    assert own.json()["step"] == "reported" and own.json()["mime"] == "image/jpeg"
    token = scalar("SELECT id FROM api_tokens WHERE token_hash = encode(sha256(convert_to(:t, 'UTF8')), 'hex')",
                   t=mine["Authorization"].split()[1])
    assert scalar("SELECT token_id FROM problem_photos WHERE id = :i", i=own.json()["id"]) == token
    # Handlers attach within their region only: another 街道's staff does not even see the problem.
    assert _attach(client, pid, photo(next(SEEDS)), token_for("subdistrict_staff", "411421001")).status_code == 404
    assert _attach(client, pid, photo(next(SEEDS)), token_for("subdistrict_staff", "411421002")).status_code == 201


def test_closed_problems_take_no_photos(client, admin, token_for, where):
    public = token_for("public")
    pid = _report(client, public, where)
    assert _act(client, pid, admin, "不予立案", note="不属于城市管理范围").status_code == 200
    for headers in (admin, public):
        r = _attach(client, pid, photo(next(SEEDS)), headers)
        assert r.status_code == 409 and "不予立案" in r.json()["detail"], r.text
    assert scalar("SELECT count(*) FROM problem_photos WHERE problem_id = :p", p=pid) == 0


def test_only_real_images_are_kept_and_they_are_re_encoded(client, admin, where):
    pid = _report(client, admin, where)
    # A JPEG with a PHP/HTML payload behind its image data: accepted as the picture it is, the payload dropped.
    payload = b"<?php system($_GET['c']); ?><html><script>alert(1)</script></html>"
    r = _attach(client, pid, photo(next(SEEDS)) + payload, admin)
    assert r.status_code == 201, r.text
    stored = open(scalar("SELECT path FROM problem_photos WHERE id = :i", i=r.json()["id"]), "rb").read()
    assert b"<?php" not in stored and b"<script" not in stored
    assert Image.open(io.BytesIO(stored)).format == "JPEG"

    # The magic number alone, a pixel bomb, a truncated image and a GIF are refused, naming the file.
    truncated = photo(next(SEEDS))[:600]
    for data, words in ((b"\xff\xd8\xff<html><script>alert(1)</script></html>", "not a readable"),
                        (b"\x89PNG\r\n\x1a\n<?php echo 1; ?>", "not a readable"),
                        (_png_header_only(30_000, 30_000), "pixels"),
                        (truncated, "not a readable"),
                        (encode(picture(1), "GIF"), "not a readable")):
        r = _attach(client, pid, data, admin)
        assert r.status_code == 422 and r.json()["field"] == "file" and words in r.json()["detail"], r.text
    assert scalar("SELECT count(*) FROM problem_photos WHERE problem_id = :p", p=pid) == 1

    # A transparent PNG becomes an opaque JPEG; the camera's capture time (Beijing time) is kept.
    r = _attach(client, pid, encode(picture(next(SEEDS)).convert("RGBA"), "PNG"), admin, "x.png", "image/png")
    assert r.status_code == 201 and r.json()["mime"] == "image/jpeg" and r.json()["width"] == 320
    r = _attach(client, pid, photo(next(SEEDS), taken=datetime(2026, 5, 1, 8, 0)), admin)
    assert r.json()["taken_at"] == "2026-05-01T08:00:00+08:00"


def test_decoded_size_is_bounded_by_bit_depth_not_only_pixels(client, admin, where, monkeypatch):
    """Item 5: the same pixels at 16 bits unpack to twice the bytes; the header says so before anything is decoded."""
    monkeypatch.setattr(get_settings(), "max_photo_decoded_bytes", 300_000)
    pid = _report(client, admin, where)
    deep = _png_blank(200, 200, 16)  # 40 000 pixels (far under the pixel limit), 320 000 bytes decoded
    assert len(deep) < 1000
    r = _attach(client, pid, deep, admin, "x.png", "image/png")
    assert r.status_code == 422 and r.json()["field"] == "file", r.text
    assert "320000 bytes once decoded" in r.json()["detail"] and "CCGRID_MAX_PHOTO_DECODED_BYTES" in r.json()["detail"]
    r = _attach(client, pid, _png_blank(200, 200, 8), admin, "x.png", "image/png")  # 160 000 bytes: kept
    assert r.status_code == 201, r.text


def test_photo_decodes_beyond_the_concurrency_limit_get_429(client, admin, where, monkeypatch):
    """Item 5: only CCGRID_PHOTO_DECODE_CONCURRENCY decodes at once per process; the next upload is told to retry."""
    from layers.ledger import photos

    monkeypatch.setattr(get_settings(), "photo_decode_concurrency", 1)
    pid = _report(client, admin, where)
    with photos._decode_slot():  # another upload is being decoded in this process
        r = _attach(client, pid, photo(next(SEEDS)), admin)
        assert r.status_code == 429 and r.headers["Retry-After"].isdigit(), r.text
        assert "already being decoded" in r.json()["detail"]
    assert scalar("SELECT count(*) FROM problem_photos WHERE problem_id = :p", p=pid) == 0
    assert _attach(client, pid, photo(next(SEEDS)), admin).status_code == 201  # the slot is free again


def test_uploads_are_rate_limited_per_token(client, admin, token_for, where, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "photo_uploads_per_minute", 3)
    fast, calm = token_for("grid_worker", "411421002"), token_for("grid_worker", "411421002")
    pid = _report(client, admin, where)
    for _ in range(3):
        assert _attach(client, pid, photo(next(SEEDS)), fast).status_code == 201
    r = _attach(client, pid, photo(next(SEEDS)), fast)
    assert r.status_code == 429 and "per minute" in r.json()["detail"], r.text
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert _attach(client, pid, photo(next(SEEDS)), calm).status_code == 201  # counted per token
    # The hourly window counts the same uploads.
    monkeypatch.setattr(settings, "photo_uploads_per_minute", 100)
    monkeypatch.setattr(settings, "photo_uploads_per_hour", 3)
    r = _attach(client, pid, photo(next(SEEDS)), fast)
    assert r.status_code == 429 and 60 < int(r.headers["Retry-After"]) <= 3600
    assert scalar("SELECT count(*) FROM problem_photos WHERE problem_id = :p", p=pid) == 4


# --- viewing -------------------------------------------------------------------------------------------------

def test_photos_can_be_viewed_in_scope_and_as_thumbnails(client, admin, viewer, token_for, where):
    pid = _report(client, admin, where)
    big = picture(next(SEEDS), size=(1200, 900))
    fid = _attach(client, pid, encode(big), admin).json()["id"]
    url = f"/api/v1/problems/{pid}/photos/{fid}"
    r = client.get(url, headers=viewer)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.headers["x-content-type-options"] == "nosniff" and "private" in r.headers["cache-control"]
    assert Image.open(io.BytesIO(r.content)).size == (1200, 900)
    thumb = client.get(url, params={"size": "thumb"}, headers=viewer)
    assert thumb.status_code == 200 and max(Image.open(io.BytesIO(thumb.content)).size) <= 320
    assert len(thumb.content) < len(r.content)
    assert client.get(url, headers=token_for("subdistrict_staff", "411421001")).status_code == 404
    assert client.get(url, headers=token_for("subdistrict_staff", "411421002")).status_code == 200
    assert client.get(url, headers=token_for("public")).status_code == 403
    other = _report(client, admin, where)
    assert client.get(f"/api/v1/problems/{other}/photos/{fid}", headers=admin).status_code == 404


# --- item 8: the re-inspection photo must be new -------------------------------------------------------------

def _rectified(client, admin, worker, public, where):
    """A public report, photographed by the reporter, dispatched and rectified with the worker's photo."""
    pid = _report(client, public, where)
    public_shot = photo(next(SEEDS))
    assert _attach(client, pid, public_shot, public).status_code == 201
    for action in ("立案", "派遣", "签收整改"):
        assert _act(client, pid, admin, action).status_code == 200
    fix_shot = photo(next(SEEDS))
    fix_id = _attach(client, pid, fix_shot, worker).json()["id"]
    assert _act(client, pid, worker, "整改完成", photo_id=fix_id).status_code == 200
    return pid, fix_id, fix_shot, public_shot


def test_the_reinspection_photo_must_be_a_new_photo_by_the_verifier(client, admin, token_for, where):
    worker, public = token_for("grid_worker", "411421002"), token_for("public")
    inspector, other_inspector = token_for("inspector"), token_for("inspector")
    pid, fix_id, fix_shot, public_shot = _rectified(client, admin, worker, public, where)

    def verify_with(data, uploader=inspector):
        fid = _attach(client, pid, data, uploader).json()["id"]
        return _act(client, pid, inspector, "核查通过", photo_id=fid)

    # The rectification photo itself, or another user's photo, is not the verifier's re-inspection photo.
    r = _act(client, pid, inspector, "核查通过", photo_id=fix_id)
    assert r.status_code == 422 and r.json()["field"] == "photo_id" and "uploaded yourself" in r.json()["detail"]
    assert verify_with(photo(next(SEEDS)), uploader=other_inspector).status_code == 422
    # The same file, re-sent by the verifier; re-compressed and resized; the public's photo re-sent: 虚假整改.
    r = verify_with(fix_shot)
    assert r.status_code == 422 and "same file" in r.json()["detail"], r.text
    r = verify_with(encode(picture_of(fix_shot).resize((240, 180)), quality=40))
    assert r.status_code == 422 and "near-duplicate" in r.json()["detail"], r.text
    assert "near-duplicate" in verify_with(encode(picture_of(public_shot), quality=60)).json()["detail"]
    assert scalar("SELECT status FROM problems WHERE id = :p", p=pid) == "rectified"

    # A new photo by the verifier at this step passes, and 销号 follows.
    r = verify_with(photo(next(SEEDS)))
    assert r.status_code == 200, r.text
    assert _act(client, pid, admin, "销号").status_code == 200


def test_a_mirrored_rotated_or_cropped_rectification_photo_is_refused(client, admin, token_for, where):
    """Item 4: the rectification photo mirrored, turned a quarter or cropped 15 % passed 核查通过 (its one stored
    hash was far from the original's); another photo of the same street still passes."""
    worker, inspector = token_for("grid_worker", "411421002"), token_for("inspector")
    pid = _report(client, admin, where)
    for action in ("立案", "派遣", "签收整改"):
        assert _act(client, pid, admin, action).status_code == 200
    scene = street(7, litter=70)
    fix_id = _attach(client, pid, encode(scene), worker).json()["id"]
    assert _act(client, pid, worker, "整改完成", photo_id=fix_id).status_code == 200

    def verify_with(img):
        fid = _attach(client, pid, encode(img, quality=80), inspector).json()["id"]
        return _act(client, pid, inspector, "核查通过", photo_id=fid)

    w, h = scene.size
    for recycled in (ImageOps.mirror(scene), scene.transpose(Image.Transpose.ROTATE_90),
                     scene.crop((round(w * 0.075), round(h * 0.075), round(w * 0.925), round(h * 0.925)))):
        r = verify_with(recycled)
        assert r.status_code == 422 and "near-duplicate" in r.json()["detail"], r.text
        assert "mirrored, rotated or cropped" in r.json()["detail"]  # the refused copies are earlier photos too
    r = verify_with(street(7, litter=71, shift=(-15, 5)))  # the same street, tidied: a new photo
    assert r.status_code == 200, r.text


def test_a_photo_taken_before_the_rectification_is_not_a_reinspection_photo(client, admin, token_for, where):
    worker, inspector = token_for("grid_worker", "411421002"), token_for("inspector")
    pid = _report(client, admin, where)
    for action in ("立案", "派遣", "签收整改"):
        assert _act(client, pid, admin, action).status_code == 200
    early = _attach(client, pid, photo(next(SEEDS)), inspector).json()["id"]  # before the work was reported done
    fix_id = _attach(client, pid, photo(next(SEEDS)), worker).json()["id"]
    assert _act(client, pid, worker, "整改完成", photo_id=fix_id).status_code == 200
    r = _act(client, pid, inspector, "核查通过", photo_id=early)
    assert r.status_code == 422 and "at this step" in r.json()["detail"], r.text


def test_closing_refuses_a_recorded_reinspection_that_reused_the_rectification_photo(client, admin, token_for,
                                                                                    where):
    """A verified event written by another path (an import, an old row) with the rectification photo re-sent."""
    worker = token_for("grid_worker", "411421002")
    pid = _report(client, admin, where)
    for action in ("立案", "派遣", "签收整改"):
        assert _act(client, pid, admin, action).status_code == 200
    shot = photo(next(SEEDS))
    fix_id = _attach(client, pid, shot, worker).json()["id"]
    assert _act(client, pid, worker, "整改完成", photo_id=fix_id).status_code == 200
    again = _attach(client, pid, shot, worker).json()["id"]


    with transaction() as s:
        s.execute(text("UPDATE problems SET status = 'verified' WHERE id = :p"), {"p": pid})
        s.execute(text("INSERT INTO problem_events (problem_id, actor, action, from_status, to_status, photo_id) "
                       "VALUES (:p, 'import', '核查通过', 'rectified', 'verified', :f)"), {"p": pid, "f": again})
    r = _act(client, pid, admin, "销号")
    assert r.status_code == 422 and "same file" in r.json()["detail"], r.text


def picture_of(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")
