"""EXIF GPS as photos.decode reads it (issue 19, evidence): degrees/minutes/seconds with their hemisphere, and what a
camera writes without a fix or with a broken tag (no position, never an error)."""

import io
from datetime import datetime

import pytest
from PIL import Image

from layers.ledger import photos
from tests.images import encode, picture


def _gps_file(tags: dict) -> bytes:
    """A JPEG whose EXIF GPS IFD holds exactly `tags`."""
    exif = Image.Exif()
    ifd = exif.get_ifd(0x8825)
    for tag, value in tags.items():
        ifd[tag] = value
    out = io.BytesIO()
    picture(3).save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_gps_and_time_are_read_from_exif():
    got = photos.decode(encode(picture(1), taken=datetime(2026, 5, 1, 8, 0), gps=(115.1523, 34.6512)))
    assert got.gps == pytest.approx((115.1523, 34.6512), abs=1e-6)
    assert got.taken_at.isoformat() == "2026-05-01T08:00:00+08:00"
    assert photos.decode(encode(picture(1), gps=(-70.5, -33.25))).gps == pytest.approx((-70.5, -33.25))
    assert photos.decode(encode(picture(1))).gps is None


@pytest.mark.parametrize("tags", [
    {1: "N", 2: (34.0, 39.0, 4.0)},  # latitude only
    {2: (34.0, 39.0, 4.0), 4: (115.0, 9.0, 0.0)},  # no hemispheres: the sign is unknown
    {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)},  # no fix
    {1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (115.0, 0.0, 0.0)},  # out of range
    {1: "X", 2: (34.0, 0.0, 0.0), 3: "E", 4: (115.0, 0.0, 0.0)},  # a hemisphere that is none
])
def test_a_position_that_is_not_one_is_left_out(tags):
    got = photos.decode(_gps_file(tags))
    assert got.gps is None and got.width == 320  # the photo is kept


def test_flag_names_follow_the_one_table():
    names = photos.flag_names(["far_from_place", "taken_before_report"])
    assert names == ["拍摄时间早于上报时间", "拍摄地点远离问题位置"]
    assert photos.flag_names([]) == [] and photos.flag_names(None) == []
