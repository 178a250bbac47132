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


def encode(img: Image.Image, fmt: str = "JPEG", *, taken: datetime | None = None,
           gps: tuple[float, float] | None = None, **options) -> bytes:
    """The image as a file; `taken` (EXIF DateTimeOriginal, local time as cameras write it) and `gps` ((lon, lat):
    the EXIF GPS IFD's latitude and longitude with their N/S, E/W references) as a camera writes them."""
    out = io.BytesIO()
    if taken is not None or gps is not None:
        exif = Image.Exif()
        if taken is not None:
            exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
        if gps is not None:
            lon, lat = gps
            ifd = exif.get_ifd(0x8825)
            ifd[1], ifd[2] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
            ifd[3], ifd[4] = ("E" if lon >= 0 else "W"), _dms(abs(lon))
        options["exif"] = exif
    img.save(out, fmt, **options)
    return out.getvalue()


def _dms(degrees: float) -> tuple[float, float, float]:
    """Degrees as EXIF's degrees, minutes, seconds (rationals; seconds to 1/10000)."""
    whole = int(degrees)
    minutes = int((degrees - whole) * 60)
    return float(whole), float(minutes), round(((degrees - whole) * 60 - minutes) * 60, 4)


def photo(seed: int, fmt: str = "JPEG", **options) -> bytes:
    return encode(picture(seed), fmt, **options)


def as_role(role: str, actor: str = "test") -> Caller:
    """A caller acting city-wide in `role` (services check the role against the lifecycle's data)."""
    return replace(SYSTEM, actor=actor, role=role)


def street(scene: int, litter: int | None = None, size: tuple[int, int] = (640, 480),
           shift: tuple[int, int] = (0, 0)) -> Image.Image:
    """A street photo: sky, a row of buildings with windows, the road; `litter` draws three large objects (a pile
    of rubbish, a stall) on it, and `shift` moves the camera by a few pixels. The same `scene` with other litter is
    another photo of the same place."""
    from PIL import ImageDraw

    rng = np.random.default_rng(scene)
    width, height = size[0] + 60, size[1] + 60
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    top, bottom = rng.integers(120, 255, 3), rng.integers(120, 255, 3)
    horizon = int(height * rng.uniform(0.35, 0.55))
    for y in range(horizon):
        draw.line([(0, y), (width, y)], fill=tuple(int(v) for v in top + (bottom - top) * y / horizon))
    draw.rectangle([0, horizon, width, height], fill=tuple(int(v) for v in rng.integers(60, 140, 3)))
    x = 0
    while x < width:
        w, h = int(rng.integers(60, 180)), int(rng.integers(80, horizon + 40))
        draw.rectangle([x, horizon + 20 - h, x + w, horizon + 20], fill=tuple(int(v) for v in rng.integers(40, 230, 3)))
        window = tuple(int(v) for v in rng.integers(0, 255, 3))
        for wy in range(horizon + 20 - h + 10, horizon, 30):
            for wx in range(x + 8, x + w - 15, 25):
                draw.rectangle([wx, wy, wx + 12, wy + 16], fill=window)
        x += w + int(rng.integers(0, 30))
    draw.polygon([(width * 0.3, horizon + 20), (width * 0.7, horizon + 20), (width, height), (0, height)],
                 fill=(90, 90, 95))
    if litter is not None:
        things = np.random.default_rng(litter)
        for _ in range(3):
            cx, cy = things.uniform(0.15, 0.85) * width, things.uniform(0.45, 0.9) * height
            r = things.uniform(0.08, 0.18) * width
            draw.ellipse([cx - r, cy - r * 0.6, cx + r, cy + r * 0.6],
                         fill=tuple(int(v) for v in things.integers(0, 255, 3)))
    left, top_ = 30 + shift[0], 30 + shift[1]
    return img.crop((left, top_, left + size[0], top_ + size[1]))
