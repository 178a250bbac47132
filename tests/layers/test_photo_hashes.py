"""Near-duplicate photos (#15 item 4): the rectification photo mirrored, rotated or cropped is still recognised, and
other photos of the same street are not (hashes of stored photos, as the re-inspection check computes them)."""

from pathlib import Path

import pytest
from PIL import Image, ImageEnhance, ImageOps

from gis.settings import get_settings
from layers.ledger.photos import _stored_grey, decode, hamming, transformed_distance
from tests.images import encode, street

SCENES = (3, 17, 29, 41)


def _crop(img: Image.Image, share: float) -> Image.Image:
    w, h = img.size
    dx, dy = round(w * share / 2), round(h * share / 2)
    return img.crop((dx, dy, w - dx, h - dy))


TRANSFORMS = {
    "quality 40": lambda i: i,  # encoded at quality 40 below
    "resized 50 %": lambda i: i.resize((i.width // 2, i.height // 2)),
    "cropped 5 %": lambda i: _crop(i, 0.05),
    "30 % brighter": lambda i: ImageEnhance.Brightness(i).enhance(1.3),
    "greyscale": lambda i: ImageOps.grayscale(i).convert("RGB"),
    "mirrored": ImageOps.mirror,
    "rotated 90°": lambda i: i.transpose(Image.Transpose.ROTATE_90),
    "rotated 180°": lambda i: i.transpose(Image.Transpose.ROTATE_180),
    "cropped 15 %": lambda i: _crop(i, 0.15),
    "cropped 15 % at a corner": lambda i: i.crop((0, 0, round(i.width * 0.85), round(i.height * 0.85))),
    "mirrored, cropped 15 %, quality 60": lambda i: _crop(ImageOps.mirror(i), 0.15),
}


def _stored(tmp_path: Path, img: Image.Image, name: str, quality: int = 90) -> tuple[Image.Image, int]:
    """What the check reads back: the upload decoded and re-encoded as attach() keeps it, and its stored phash."""
    decoded = decode(encode(img, quality=quality))
    path = tmp_path / name
    path.write_bytes(decoded.jpeg)
    grey = _stored_grey(str(path))
    assert grey is not None
    return grey, decoded.phash


@pytest.mark.parametrize("scene", SCENES)
def test_the_rectification_photo_transformed_is_a_near_duplicate(tmp_path, scene):
    limit = get_settings().photo_duplicate_distance
    original = street(scene, litter=scene + 1000)
    earlier, earlier_hash = _stored(tmp_path, original, "earlier.jpg")
    plain_misses = []
    for name, transform in TRANSFORMS.items():
        quality = 40 if name == "quality 40" else 60 if "quality 60" in name else 90
        new, new_hash = _stored(tmp_path, transform(original), "new.jpg", quality)
        assert transformed_distance(earlier, new) <= limit, name
        if hamming(earlier_hash, new_hash) > limit:
            plain_misses.append(name)
    # The single stored hash the database compares misses these; the comparison of the stored files does not.
    assert {"mirrored", "rotated 90°", "rotated 180°"} <= set(plain_misses)


@pytest.mark.parametrize("scene", SCENES)
def test_other_photos_are_not_near_duplicates(tmp_path, scene):
    """Another street, and the same street at the re-inspection (other objects, the camera a little moved)."""
    limit = get_settings().photo_duplicate_distance
    earlier, _ = _stored(tmp_path, street(scene, litter=scene + 1000), "earlier.jpg")
    for other in (street(scene + 500, litter=scene + 2000),
                  street(scene, litter=scene + 3000),
                  street(scene, litter=scene + 3000, shift=(-20, 10))):
        new, _ = _stored(tmp_path, other, "new.jpg")
        assert transformed_distance(earlier, new) > limit
