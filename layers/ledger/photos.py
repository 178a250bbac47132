"""Problem photos: who may attach what, how fast, and what is kept; and the rule for re-inspection photos.

Every upload is decoded with Pillow (JPEG or PNG only, under a pixel limit and a decoded-bytes limit read from the
header before any pixel is unpacked, a few decodes at a time per process) and stored re-encoded as a JPEG: whatever
rode along in the file (an HTML or PHP payload behind the image data, metadata with the phone's position) is gone,
and what is served back is an image we wrote. The EXIF capture time and GPS position are kept in columns (or, for
a photo a phone shrank before sending, what the sender says: `taken_at`, `lon`/`lat`). Each photo records its
uploader's token and the lifecycle step it was taken in.

Evidence checks flag, never refuse: a photo uploaded once the problem was dispatched (EVIDENCE_STEPS: the
rectification and re-inspection photos) is flagged `taken_before_report` when it was taken more than
`evidence_time_tolerance_s` before the problem was reported, and `far_from_place` when its GPS lies more than
`evidence_max_distance_m` from the problem's point (measured in PostGIS on the metric copy). The report's own photos
(上报, 立案) are not checked: they are naturally taken before the report, and anywhere the reporter stood. A photo
without a capture time or position is not flagged (most shrunk photos have neither). Flags are set once, at upload;
the problem and the 整改台账 show them as 虚假整改 suspicion (EVIDENCE_FLAGS has their names).

A re-inspection photo (核查通过, 销号) must be new: uploaded by the verifying user during that step, and neither the
same file (sha256) nor a near-duplicate (perceptual hash within `photo_duplicate_distance` bits) of any earlier
photo of the problem, as is or mirrored, rotated or cropped — re-sending the rectification photo is the 虚假整改 the
campaign punishes. The database keeps one hash per photo; the flips, rotations and crops are hashed from the stored
files when a re-inspection photo is checked.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from gis.settings import get_settings
from gis.sql import load
from gis.times import CITY_TZ, EARLIEST_YEAR, LATEST_YEAR
from layers.access.caller import Caller
from layers.common.audit import record

FORMATS = ("JPEG", "PNG")
JPEG_QUALITY = 85
THUMB_PX = 320
# EXIF tags: DateTimeOriginal, DateTimeDigitized (in the Exif IFD), DateTime (IFD0), OffsetTimeOriginal.
EXIF_TAKEN = (36867, 36868)
EXIF_DATETIME = 306
EXIF_OFFSET = 36881
# GPS IFD tags: GPSLatitudeRef, GPSLatitude, GPSLongitudeRef, GPSLongitude.
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4

# Evidence flags: their codes (stored in problem_photos.flags) and names, the one place that names them.
EVIDENCE_FLAGS = {"taken_before_report": "拍摄时间早于上报时间", "far_from_place": "拍摄地点远离问题位置"}
# The steps whose photos are evidence of the rectification: uploaded once the problem was dispatched.
EVIDENCE_STEPS = ("dispatched", "in_progress", "rectified", "verified")


@dataclass(frozen=True)
class Decoded:
    jpeg: bytes
    width: int
    height: int
    phash: int  # signed 64-bit, as PostgreSQL's bigint holds it
    taken_at: datetime | None
    gps: tuple[float, float] | None = None  # (lon, lat) as the camera wrote it (WGS84)


# --- decoding -------------------------------------------------------------------------------------------------

def decode(data: bytes) -> Decoded:
    """The upload as a checked image, re-encoded to JPEG; anything else is a 422 naming the file."""
    settings = get_settings()
    if len(data) > settings.max_photo_bytes:
        raise InvalidInput(f"photo is {len(data)} bytes; at most {settings.max_photo_bytes}", field="file")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb guard warns first and raises only at twice its limit; ours is stricter anyway.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as img:
                _check_pixels(img.size, settings.max_photo_pixels)
                _check_decoded_bytes(img, settings.max_photo_decoded_bytes)
                with _decode_slot():
                    img.load()  # a truncated or corrupt file fails here, not later
                    taken_at, gps = _taken_at(img), _gps(img)
                    upright = ImageOps.exif_transpose(img)
                    rgb = _rgb(upright)
                    out = io.BytesIO()
                    rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
                    return Decoded(out.getvalue(), rgb.width, rgb.height, phash(rgb), taken_at, gps)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(f"image has more than {settings.max_photo_pixels} pixels", field="file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise InvalidInput("not a readable JPEG or PNG image", field="file") from None


def _check_pixels(size: tuple[int, int], limit: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise InvalidInput("image has no pixels", field="file")
    if width * height > limit:
        raise InvalidInput(f"image is {width}×{height} pixels; at most {limit} pixels", field="file")


def _bytes_per_pixel(img: Image.Image) -> int:
    """What one pixel takes once decoded: the file's samples (a 16-bit RGBA PNG: 8 bytes), and at least what Pillow
    keeps in memory (colour modes take 4 bytes a pixel, 16-bit grey 2, 8-bit grey and palettes 1)."""
    bands = len(img.getbands())
    rawmode = next((t.args for t in getattr(img, "tile", []) if isinstance(t.args, str)), "")
    file_bytes = bands * (2 if "16" in rawmode else 1)
    if img.mode in ("1", "L", "P"):
        held = 1
    elif img.mode.startswith("I;16"):
        held = 2
    else:
        held = 4
    return max(file_bytes, held)


def _check_decoded_bytes(img: Image.Image, limit: int) -> None:
    """Bound what decoding will unpack, from the header alone: pixels × bytes per pixel (the pixel limit alone lets
    a small 16-bit RGBA PNG unpack to hundreds of megabytes, several times over while it is converted)."""
    need = img.width * img.height * _bytes_per_pixel(img)
    if need > limit:
        raise InvalidInput(f"image is {img.width}×{img.height} {img.mode} pixels, {need} bytes once decoded; at most "
                           f"{limit} bytes (CCGRID_MAX_PHOTO_DECODED_BYTES)", field="file")


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()
DECODE_RETRY_AFTER_S = 5


@contextlib.contextmanager
def _decode_slot() -> Iterator[None]:
    """Hold one of CCGRID_PHOTO_DECODE_CONCURRENCY decoding slots of this process, or refuse at once with 429: each
    decode may take a few hundred MB and seconds of CPU, and waiting uploads would hold worker threads."""
    size = max(get_settings().photo_decode_concurrency, 1)
    with _slots_lock:  # one semaphore per configured size (tests change the setting)
        slots = _slots.setdefault(size, threading.BoundedSemaphore(size))
    if not slots.acquire(blocking=False):
        raise TooManyRequests(f"{size} photos are already being decoded; try again in {DECODE_RETRY_AFTER_S} s",
                              retry_after=DECODE_RETRY_AFTER_S, field="file")
    try:
        yield
    finally:
        slots.release()


def _rgb(img: Image.Image) -> Image.Image:
    """Opaque RGB for JPEG: transparency is laid on white (a screenshot's clear background stays light)."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if img.mode.startswith("I;16") or img.mode == "I":
        img = img.point(lambda v: v / 256).convert("L")  # 16-bit greyscale PNG → 8 bits
    return img.convert("RGB")


def _taken_at(img: Image.Image) -> datetime | None:
    """The camera's capture time from EXIF, read in the city's time zone unless the file gives an offset."""
    try:
        exif = img.getexif()
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        raw = next((sub[t] for t in EXIF_TAKEN if sub.get(t)), None) or exif.get(EXIF_DATETIME)
        if not isinstance(raw, str):
            return None
        when = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
        offset = sub.get(EXIF_OFFSET)
        if isinstance(offset, str) and len(offset) >= 6 and offset[0] in "+-":
            sign = 1 if offset[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        else:
            tz = CITY_TZ
    except (ValueError, TypeError, KeyError, OSError, SyntaxError):
        return None  # a camera that writes nonsense loses its time, not the photo
    if not EARLIEST_YEAR <= when.year <= LATEST_YEAR:
        return None
    return when.replace(tzinfo=tz)


def _gps(img: Image.Image) -> tuple[float, float] | None:
    """The camera's position (lon, lat) from the EXIF GPS IFD, as written (WGS84); None when absent, incomplete,
    out of range or 0, 0 (what some phones write without a fix)."""
    try:
        gps = img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(gps.get(GPS_LAT), gps.get(GPS_LAT_REF), "NS")
        lon = _degrees(gps.get(GPS_LON), gps.get(GPS_LON_REF), "EW")
    except (ValueError, TypeError, KeyError, OSError, SyntaxError, ZeroDivisionError):
        return None
    if lat is None or lon is None or (lat == 0 and lon == 0) or abs(lat) > 90 or abs(lon) > 180:
        return None
    return lon, lat


def _degrees(value: Any, ref: Any, hemispheres: str) -> float | None:
    """Degrees, minutes, seconds (EXIF rationals) and N/S or E/W as signed decimal degrees."""
    if not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        return None
    degrees = sum(float(part) / 60**i for i, part in enumerate(value))
    if not math.isfinite(degrees) or degrees < 0:
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    ref = ref.strip("\x00 ").upper()[:1] if isinstance(ref, str) else ""
    if ref not in tuple(hemispheres):
        return None  # no reference: the sign is unknown
    return -degrees if ref == hemispheres[1] else degrees


@cache
def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    return 2 * np.cos(np.pi * k * (2 * np.arange(n)[None, :] + 1) / (2 * n))


def _low_frequencies(img: Image.Image) -> np.ndarray:
    grey = np.asarray(img.convert("L").resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    c = _dct_matrix(32)
    return (c @ grey @ c.T)[:8, :8]


def _bits(low: np.ndarray) -> int:
    return int.from_bytes(np.packbits((low > np.median(low)).flatten()).tobytes(), "big")


def phash(img: Image.Image) -> int:
    """64-bit perceptual hash, imagehash.phash's algorithm (32×32 grey, 2-D DCT-II, the 8×8 lowest frequencies
    against their median) in numpy, without imagehash's scipy and PyWavelets. Signed, to fit a bigint."""
    value = _bits(_low_frequencies(img))
    return value - (1 << 64) if value >= 1 << 63 else value


# Mirroring an image negates its DCT coefficients of odd horizontal frequency, flipping it those of odd vertical
# frequency, and a quarter turn is a transpose and a flip: the hashes of all 8 flips and rotations come from one DCT.
_ODD = (-1.0) ** np.arange(8)
# Crops compared: the share of each side kept, from the centre (and, for 0.85, from each corner too).
CROP_WINDOWS = ((0.9, False), (0.85, True), (0.8, False))
COMPARED_PHOTOS = 50  # earlier photos of a problem compared with a re-inspection photo (newest first)


def turned_hashes(img: Image.Image) -> list[int]:
    """Unsigned hashes of the image as is, mirrored, flipped, rotated 180° and the four transposed variants."""
    low = _low_frequencies(img)
    return [_bits(t * (_ODD[None, :] if h else 1.0) * (_ODD[:, None] if v else 1.0))
            for t in (low, low.T) for h in (False, True) for v in (False, True)]


def cropped_hashes(img: Image.Image) -> list[int]:
    """Unsigned hashes of the image and of its crops by CROP_WINDOWS."""
    w, h = img.size
    boxes = [(0.0, 0.0, 1.0)]
    for keep, corners in CROP_WINDOWS:
        m = 1 - keep
        boxes += [(m / 2, m / 2, keep)] + ([(0, 0, keep), (m, 0, keep), (0, m, keep), (m, m, keep)] if corners else [])
    return [_bits(_low_frequencies(img.crop((round(x * w), round(y * h), round((x + k) * w), round((y + k) * h)))))
            for x, y, k in boxes]


def transformed_distance(earlier: Image.Image, new: Image.Image) -> int:
    """Least Hamming distance between one photo and the other turned or mirrored, either of them cropped: small when
    one is the other mirrored, rotated, cropped by up to ~20 % (or several of these), as well as re-compressed."""
    return min(hamming(a, b) for crops, turns in ((cropped_hashes(earlier), turned_hashes(new)),
                                                   (cropped_hashes(new), turned_hashes(earlier)))
               for a in crops for b in turns)


def _stored_grey(path: str) -> Image.Image | None:
    """A stored photo, small and grey for hashing (our JPEGs decode at 1/2–1/8 scale), or None if it is gone."""
    try:
        with Image.open(path, formats=FORMATS) as img:
            _check_pixels(img.size, get_settings().max_photo_pixels)
            _check_decoded_bytes(img, get_settings().max_photo_decoded_bytes)
            img.draft("L", (256, 256))
            grey = img.convert("L")
    except (OSError, SyntaxError, ValueError, InvalidInput, Image.DecompressionBombError):
        return None
    grey.thumbnail((512, 512))
    return grey


def hamming(a: int, b: int) -> int:
    return bin((a ^ b) & ((1 << 64) - 1)).count("1")


# --- attaching ------------------------------------------------------------------------------------------------

def _problem(session: Session, pid: int) -> dict[str, Any] | None:
    row = session.execute(text("""
        SELECT p.id, p.reported_at, p.status, p.region_code, p.created_by, s.final, s.name AS status_name,
               (SELECT max(e.id) FROM problem_events e WHERE e.problem_id = p.id) AS event_id
        FROM problems p JOIN problem_statuses s ON s.code = p.status
        WHERE p.id = :i FOR SHARE OF p"""), {"i": pid}).mappings().one_or_none()
    return dict(row) if row else None


def reported_by(caller: Caller, created_by: str | None) -> bool:
    """Whether this report was made with the caller's own token (problems record `token:<id> (label)`)."""
    if caller.token_id is None:
        return created_by == caller.actor
    return (created_by or "").split(" ", 1)[0] == f"token:{caller.token_id}"


def _may_attach(caller: Caller, problem: dict[str, Any] | None, pid: int) -> dict[str, Any]:
    """Handlers attach to problems in their region; everyone else (the public) only to their own reports."""
    if problem is None or (caller.can("handle_problems") and not caller.covers(problem["region_code"])):
        raise NotFound(f"problem {pid} not found", field="id")
    if not caller.can("handle_problems") and not (caller.can("report") and reported_by(caller, problem["created_by"])):
        raise Forbidden("photos may be attached only to your own reports", field="id")
    if problem["final"]:
        raise Conflict(f"problem {pid} is {problem['status_name']}; it takes no new photos", field="id")
    return problem


def _throttle(session: Session, caller: Caller) -> None:
    """At most N uploads per token per minute and per hour, counted in the database so every worker agrees."""
    if caller.token_id is None:
        return  # the CLI, the demo and jobs
    settings = get_settings()
    # Two uploads of one token at the same moment would both count the same rows: they take turns.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('ccgrid_photo_rate'), :t)"), {"t": caller.token_id})
    for limit, seconds, per in ((settings.photo_uploads_per_minute, 60, "minute"),
                                (settings.photo_uploads_per_hour, 3600, "hour")):
        # The limit-th newest upload inside the window: once it leaves the window there is room again.
        wait = session.execute(text("""
            SELECT extract(epoch FROM created_at + make_interval(secs => :w) - clock_timestamp())
            FROM problem_photos
            WHERE token_id = :t AND created_at > clock_timestamp() - make_interval(secs => :w)
            ORDER BY created_at DESC OFFSET :n LIMIT 1"""), {"t": caller.token_id, "w": seconds, "n": limit - 1}
        ).scalar()
        if wait is not None:
            raise TooManyRequests(f"at most {limit} photos per {per}; try again in {math.ceil(wait)} s",
                                  retry_after=math.ceil(wait), field="file")


def attach(session: Session, pid: int, data: bytes, *, caller: Caller, taken_at: datetime | None = None,
           lon: float | None = None, lat: float | None = None) -> dict[str, Any]:
    """Check, re-encode and keep a photo on disk under the data dir (path in the database); returns its row, with
    its evidence flags. The capture time and position are the file's own (EXIF), else `taken_at` and `lon`/`lat`
    (WGS84) as the sender knew them (a phone that shrank the photo before sending dropped its EXIF); a capture time
    in the future is refused."""
    problem = _may_attach(caller, _problem(session, pid), pid)
    position = _sent_position(lon, lat)
    _throttle(session, caller)
    image = decode(data)
    digest = hashlib.sha256(data).hexdigest()  # of the file as sent: the same file sent again is recognised
    path = Path(get_settings().data_dir).absolute() / "photos" / str(pid) / f"{digest}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image.jpeg)
    settings = get_settings()
    gps = image.gps or position
    row = session.execute(text(load(__file__, "photo_insert")), {
        "p": pid, "rat": problem["reported_at"], "path": str(path), "n": len(image.jpeg), "h": digest,
        "a": caller.actor, "tok": caller.token_id, "step": problem["status"], "ev": problem["event_id"],
        "ph": image.phash, "w": image.width, "hh": image.height,
        "taken": image.taken_at or _sent_time(session, taken_at),
        "lon": gps[0] if gps else None, "lat": gps[1] if gps else None,
        "evidence_steps": list(EVIDENCE_STEPS), "tolerance_s": settings.evidence_time_tolerance_s,
        "max_m": settings.evidence_max_distance_m,
    }).mappings().one()
    record(session, caller.actor, "photo", "problems", pid,
           {"photo_id": row["id"], "bytes": len(data), "stored_bytes": len(image.jpeg), "step": problem["status"],
            **({"flags": list(row["flags"])} if row["flags"] else {})})
    return dict(row)


def _sent_time(session: Session, taken_at: datetime | None) -> datetime | None:
    if taken_at is not None and taken_at > session.execute(text("SELECT now() + interval '10 minutes'")).scalar_one():
        raise InvalidInput("a photo cannot be taken in the future", field="taken_at")
    return taken_at


def _sent_position(lon: float | None, lat: float | None) -> tuple[float, float] | None:
    """Where the sender says the photo was taken: both or neither, finite and in range."""
    if lon is None and lat is None:
        return None
    if lon is None or lat is None:
        raise InvalidInput("send lon and lat together", field="lon" if lon is None else "lat")
    for value, limit, field in ((lon, 180, "lon"), (lat, 90, "lat")):
        if not math.isfinite(value) or abs(value) > limit:
            raise InvalidInput(f"{field} must be between -{limit} and {limit}", field=field)
    return lon, lat


def flag_names(flags: list[str] | tuple[str, ...] | None) -> list[str]:
    """The zh-CN names of evidence flags, in EVIDENCE_FLAGS' order."""
    return [name for code, name in EVIDENCE_FLAGS.items() if code in (flags or ())]


# --- re-inspection --------------------------------------------------------------------------------------------

def require_new(session: Session, pid: int, photo_id: int, *, caller: Caller, action: str) -> None:
    """The re-inspection photo: uploaded by this caller during the current step, and like no earlier photo."""
    photo = session.execute(text("""
        SELECT f.token_id, f.created_by, f.event_id,
               (SELECT max(e.id) FROM problem_events e WHERE e.problem_id = :p) AS current_event
        FROM problem_photos f WHERE f.id = :f AND f.problem_id = :p"""), {"f": photo_id, "p": pid}).one_or_none()
    if photo is None:
        raise InvalidInput(f"photo {photo_id} does not belong to problem {pid}", field="photo_id")
    mine = photo.token_id == caller.token_id if caller.token_id is not None else photo.created_by == caller.actor
    if not mine:
        raise InvalidInput(f"{action} needs a photo you uploaded yourself; photo {photo_id} was uploaded by "
                           f"someone else", field="photo_id")
    if photo.event_id is None or photo.event_id != photo.current_event:
        raise InvalidInput(f"{action} needs a photo taken at this step; photo {photo_id} was uploaded at an "
                           f"earlier step", field="photo_id")
    require_unlike_earlier(session, pid, photo_id, action=action)


def require_unlike_earlier(session: Session, pid: int, photo_id: int, *, action: str) -> None:
    """Refuse a photo that is the same file as, or a near-duplicate of, an earlier photo of the problem (or of a
    report linked to it as a duplicate: the public's photo of the same spot)."""
    limit = get_settings().photo_duplicate_distance
    twin = session.execute(text("""
        SELECT e.id, e.sha256 = n.sha256 AS same_file,
               bit_count(CAST(e.phash # n.phash AS bit(64))) AS distance
        FROM problem_photos n
        JOIN problem_photos e ON e.id < n.id
        WHERE n.id = :f
          AND (e.problem_id = :p OR e.problem_id IN (SELECT d.id FROM problems d WHERE d.duplicate_of = :p))
          AND (e.sha256 = n.sha256 OR bit_count(CAST(e.phash # n.phash AS bit(64))) <= :d)
        ORDER BY same_file DESC, distance LIMIT 1"""), {"f": photo_id, "p": pid, "d": limit}).one_or_none()
    if twin is not None:
        how = ("is the same file as" if twin.same_file else
               f"is a near-duplicate (distance {twin.distance} of at most {limit}) of")
    else:
        twin = _transformed_twin(session, pid, photo_id, limit)
        if twin is None:
            return
        how = f"is a near-duplicate (mirrored, rotated or cropped: distance {twin.distance} of at most {limit}) of"
    raise InvalidInput(f"{action}: photo {photo_id} {how} photo {twin.id} of this problem; the re-inspection "
                       "photo must be a new photo of the rectified spot (虚假整改 is not accepted)", field="photo_id")


@dataclass(frozen=True)
class _Twin:
    id: int
    distance: int


def _transformed_twin(session: Session, pid: int, photo_id: int, limit: int) -> _Twin | None:
    """The earlier photo (as require_unlike_earlier finds them) that the new one is, mirrored, rotated or cropped:
    the hashes are computed from the stored files, since the database keeps one hash per photo."""
    rows = session.execute(text("""
        SELECT e.id, e.path, n.path AS new_path
        FROM problem_photos n
        JOIN problem_photos e ON e.id < n.id
        WHERE n.id = :f
          AND (e.problem_id = :p OR e.problem_id IN (SELECT d.id FROM problems d WHERE d.duplicate_of = :p))
        ORDER BY e.id DESC LIMIT :n"""), {"f": photo_id, "p": pid, "n": COMPARED_PHOTOS}).all()
    new = _stored_grey(rows[0].new_path) if rows else None
    if new is None:
        return None
    best: _Twin | None = None
    for row in rows:
        earlier = _stored_grey(row.path)
        if earlier is None:
            continue
        distance = transformed_distance(earlier, new)
        if distance <= limit and (best is None or distance < best.distance):
            best = _Twin(row.id, distance)
    return best


# --- reading --------------------------------------------------------------------------------------------------

def read(session: Session, pid: int, photo_id: int, *, caller: Caller, thumb: bool = False) -> tuple[bytes, str]:
    """A photo's bytes and media type, for a caller whose region holds the problem; `thumb` gives a small JPEG."""
    row = session.execute(text("""
        SELECT f.path, f.mime, p.region_code FROM problem_photos f JOIN problems p ON p.id = f.problem_id
        WHERE f.id = :f AND f.problem_id = :p"""), {"f": photo_id, "p": pid}).one_or_none()
    if row is None or not caller.covers(row.region_code):
        raise NotFound(f"photo {photo_id} of problem {pid} not found", field="photo_id")
    path = Path(row.path)
    if not path.is_file():
        raise NotFound(f"photo {photo_id} is no longer on disk", field="photo_id")
    data = path.read_bytes()
    if not thumb:
        return data, row.mime
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            _check_pixels(img.size, get_settings().max_photo_pixels)  # files stored before decoding was checked
            img.draft("RGB", (THUMB_PX, THUMB_PX))  # a JPEG is decoded at 1/2–1/8 scale, never more than needed
            small = _rgb(ImageOps.exif_transpose(img))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise NotFound(f"photo {photo_id} has no viewable image", field="photo_id") from None
    small.thumbnail((THUMB_PX, THUMB_PX))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue(), "image/jpeg"
