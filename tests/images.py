"""Real images for photo tests, made with Pillow: each seed a different picture (perceptual hashes far apart)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime

import numpy as np
from PIL import Image

from layers.access.caller import SYSTEM, Caller


def picture(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A smooth random pattern: coarse random blocks, upscaled (low frequencies are what a perceptual hash sees)."""
    blocks = np.random.default_rng(seed).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return Image.fromarray(blocks).resize(size, Image.Resampling.BICUBIC)


def encode(img: Image.Image, fmt: str = "JPEG", *, taken: datetime | None = None, **options) -> bytes:
    out = io.BytesIO()
    if taken is not None:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
        options["exif"] = exif
    img.save(out, fmt, **options)
    return out.getvalue()


def photo(seed: int, fmt: str = "JPEG", **options) -> bytes:
    return encode(picture(seed), fmt, **options)


def as_role(role: str, actor: str = "test") -> Caller:
    """A caller acting city-wide in `role` (services check the role against the lifecycle's data)."""
    return replace(SYSTEM, actor=actor, role=role)
