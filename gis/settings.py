"""The settings. Every knob is a `CCGRID_` environment variable (README's configuration table); each group below
reads its own, and `Settings` is the one object that holds them all (`get_settings()`). The map pages' options
(basemap, the session cookie) are maps.settings.MapSettings: the UI's, not the service's."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class _Env(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CCGRID_", env_file=".env", extra="ignore")


class DatabaseSettings(_Env):
    # Unset: use the embedded PostGIS cluster under data_dir.
    database_url: str | None = None
    data_dir: Path = Path(".ccgrid")
    # Every SQL statement is cut off after this, so one heavy query cannot stall the service.
    statement_timeout_ms: int = 30_000
    pool_size: int = 10

    # Bulk imports and demo loads are batch jobs, not requests: their own statement timeout (0 = none).
    import_statement_timeout_ms: int = 0


class ServerSettings(_Env):
    host: str = "127.0.0.1"
    port: int = 8000
    # Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated, as uvicorn takes them).
    # Empty: none, so a client cannot pick the address that failed logins are counted against.
    forwarded_allow_ips: str = ""


class RequestLimits(_Env):
    # Limits on what one request may ask for or send.
    max_page_size: int = 10_000
    default_page_size: int = 100
    max_body_bytes: int = 10 * 1024 * 1024
    # Files in: the largest uncompressed member of a zip (an .xlsx sheet, a zipped shapefile's .shp), checked before
    # anything is parsed (a 1.3 MB workbook can hold a 1.3 GB sheet).
    max_unzipped_bytes: int = 256 * 1024 * 1024


class PhotoLimits(_Env):
    max_photo_bytes: int = 5 * 1024 * 1024
    # Photos are decoded to be checked: the header's width × height must stay under this (a 30000×30000 PNG of a
    # few kilobytes would otherwise unpack to gigabytes). 40 MP is above any phone camera.
    max_photo_pixels: int = Field(default=40_000_000, ge=1)
    # ... and width × height × bytes per pixel (from the header's mode and bit depth; at least Pillow's 4 bytes for
    # colour) under this: a 280 KB 16-bit RGBA PNG of 36 MP is under the pixel limit but unpacks to 600 MB. A 40 MP
    # 8-bit colour photo fits.
    max_photo_decoded_bytes: int = Field(default=160 * 1024 * 1024, ge=1)
    # Photos decoded at once in one process (each may take a few hundred MB and seconds of CPU); more get 429.
    photo_decode_concurrency: int = Field(default=2, ge=1)
    # Uploads per token in the last minute / hour (counted in the database, so every worker sees the same count).
    photo_uploads_per_minute: int = Field(default=10, ge=1)
    photo_uploads_per_hour: int = Field(default=100, ge=1)
    # A re-inspection photo whose perceptual hash lies within this Hamming distance (of 64 bits) of an earlier photo
    # of the problem is a near-duplicate (the rectification photo re-sent, re-compressed or resized).
    photo_duplicate_distance: int = Field(default=10, ge=0, le=64)
    # Evidence checks (flags, never refusals): a rectification or re-inspection photo whose GPS lies farther than
    # this from the problem's point is `far_from_place`; one taken more than `evidence_time_tolerance_s` before the
    # problem was reported is `taken_before_report`.
    evidence_max_distance_m: float = Field(default=200, gt=0)
    evidence_time_tolerance_s: int = Field(default=60, ge=0)


class ExportLimits(_Env):
    # Files out: most rows one export (三本账, 责任清单) may hold, and how many run at once in one process (the
    # others get 429 with Retry-After).
    export_max_rows: int = 200_000
    export_concurrency: int = 2


class GeometryLimits(_Env):
    # Vertices one feature may have, per layer: one huge geometry slows every later write that meets it.
    max_vertices_regions: int = 100_000
    max_vertices_grid_cells: int = 10_000
    max_vertices_streets: int = 10_000
    max_vertices_assessment_points: int = 10_000

    # How far (metres) a feature may stick out of its parent region before it is rejected.
    containment_tolerance_m: float = 50.0
    # Nearest-street search radius for /locate (metres).
    locate_street_radius_m: float = 200.0


class PatrolLimits(_Env):
    # A patrol is a shift: a longer track is refused (an untimed track of a month would pass any speed check).
    patrol_max_hours: float = Field(default=24, gt=0)
    # Patrols: the fastest a patrol may move in each mode (km/h), judged fix to fix when the field app sends the
    # fixes' times, else over the whole track; the GPS error (metres) is allowed for on each stretch.
    patrol_max_speed_kmh_walk: float = 12.0
    patrol_max_speed_kmh_bike: float = 35.0
    patrol_max_speed_kmh_drive: float = 120.0
    patrol_gps_accuracy_m: float = 20.0
    # Once the field app records fix times: refuse tracks without them.
    patrol_require_fix_times: bool = False


class LedgerLimits(_Env):
    # Reports dated before this day are refused: nothing the city keeps is older, and each month is a partition.
    archive_start: date = date(2000, 1, 1)
    # Intake by anyone but an admin may create a month's partition at most this many months back; older reports go
    # through the admin import (`ccgrid import problems`).
    intake_new_months_back: int = Field(default=3, ge=0, le=120)
    # A write sent with an Idempotency-Key answers the same key with its first answer for this many days (the
    # field app retries a write until the server confirms it; a phone may be offline for days).
    idempotency_days: int = Field(default=7, ge=1, le=90)


class NetworkSettings(_Env):
    # The walking network built from the streets: street ends this close to another street (metres) are joined to
    # it (hand-drawn streets that almost meet); a write of more street rows than `network_rebuild_rows` rebuilds
    # the whole network instead of updating it around the rows.
    network_snap_tolerance_m: float = Field(default=2.0, ge=0, le=50)
    network_rebuild_rows: int = Field(default=2000, ge=1)
    # A facility or a grid cell's centre farther than this from every street is not on the network (unreached).
    network_access_max_m: float = Field(default=500.0, gt=0)
    # Walking speed for reach in minutes: 4 km/h makes the 15-minute circle 1,000 m (GB 50180-2018: 800–1,000 m).
    walk_speed_kmh: float = Field(default=4.0, gt=0, le=20)


class AccessSettings(_Env):
    token_ttl_days: int = Field(default=365, description="default lifetime of API tokens")
    # A session (map pages, accounts) ends this many hours after login, or after this many minutes without a request.
    session_hours: int = 12
    session_idle_minutes: int = 60

    # A phone number held outside the caller's region is refused without saying by whom; a caller gets this many
    # such refusals per window (then 429), so the registry cannot be walked number by number.
    phone_refusals_per_window: int = Field(default=10, ge=1)
    phone_refusal_window_s: int = Field(default=3600, ge=1)

    # Failed tokens, api_keys and logins: past this many in the window, further attempts get 429 (counted in the
    # database, so across worker processes). An account (a login name) has a lower limit than an address,
    # which may be a whole office behind one NAT.
    auth_failures_per_ip: int = 30
    auth_failures_per_account: int = 5
    auth_failure_window_s: int = 300

    # Account passwords (layers/access/passwords.py): the shortest accepted, and the argon2id cost. Raising the cost
    # takes effect for each account at its next login (its hash is redone then).
    password_min_length: int = Field(default=10, ge=8, le=128)
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=64 * 1024, ge=8 * 1024)
    password_hash_parallelism: int = Field(default=4, ge=1)


class Settings(DatabaseSettings, ServerSettings, RequestLimits, PhotoLimits, ExportLimits, GeometryLimits,
               PatrolLimits, LedgerLimits, NetworkSettings, AccessSettings):
    """All of the service's settings, flat (`get_settings().max_photo_bytes`), as the environment names them."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
