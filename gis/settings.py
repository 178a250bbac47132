"""The one settings object. Every knob is a `CCGRID_` environment variable."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CCGRID_", env_file=".env", extra="ignore")

    # Unset: use the embedded PostGIS cluster under data_dir.
    database_url: str | None = None
    data_dir: Path = Path(".ccgrid")
    host: str = "127.0.0.1"
    port: int = 8000

    # Every SQL statement is cut off after this, so one heavy query cannot stall the service.
    statement_timeout_ms: int = 30_000
    pool_size: int = 10

    # Limits on what one request may ask for or send.
    max_page_size: int = 10_000
    default_page_size: int = 100
    max_body_bytes: int = 10 * 1024 * 1024
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
    # Files in: the largest uncompressed member of a zip (an .xlsx sheet, a zipped shapefile's .shp), checked before
    # anything is parsed (a 1.3 MB workbook can hold a 1.3 GB sheet).
    max_unzipped_bytes: int = 256 * 1024 * 1024
    # Bulk imports and demo loads are batch jobs, not requests: their own statement timeout (0 = none).
    import_statement_timeout_ms: int = 0
    # Files out: most rows one export (三本账, 责任清单) may hold, and how many run at once in one process (the
    # others get 429 with Retry-After).
    export_max_rows: int = 200_000
    export_concurrency: int = 2

    # Vertices one feature may have, per layer: one huge geometry slows every later write that meets it.
    max_vertices_regions: int = 100_000
    max_vertices_grid_cells: int = 10_000
    max_vertices_streets: int = 10_000
    max_vertices_assessment_points: int = 10_000

    # Patrols: the fastest a patrol may move in each mode (km/h), judged fix to fix when the field app sends the
    # fixes' times, else over the whole track; the GPS error (metres) is allowed for on each stretch.
    patrol_max_speed_kmh_walk: float = 12.0
    patrol_max_speed_kmh_bike: float = 35.0
    patrol_max_speed_kmh_drive: float = 120.0
    patrol_gps_accuracy_m: float = 20.0
    # Once the field app records fix times: refuse tracks without them.
    patrol_require_fix_times: bool = False

    # How far (metres) a feature may stick out of its parent region before it is rejected.
    containment_tolerance_m: float = 50.0
    # Nearest-street search radius for /locate (metres).
    locate_street_radius_m: float = 200.0

    # Reports dated before this day are refused: nothing the city keeps is older, and each month is a partition.
    archive_start: date = date(2000, 1, 1)
    # Intake by anyone but an admin may create a month's partition at most this many months back; older reports go
    # through the admin import (`ccgrid import problems`).
    intake_new_months_back: int = Field(default=3, ge=0, le=120)

    token_ttl_days: int = Field(default=365, description="default lifetime of API tokens")

    # Map pages: basemap is "none" (the city's own layers only), "tianditu" (needs tianditu_key) or an XYZ URL
    # template of an internal tile server, e.g. http://tiles.example.gov.cn/{z}/{x}/{y}.png.
    basemap: str = "none"
    tianditu_key: str | None = None
    basemap_attribution: str = ""
    # The session cookie of the map pages is Secure when the request came over HTTPS, or always when this is true
    # (set it behind a TLS-terminating proxy).
    cookie_secure: bool = False
    # A map-page session ends this many hours after login, or after this many minutes without a request.
    session_hours: int = 12
    session_idle_minutes: int = 60

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


@lru_cache
def get_settings() -> Settings:
    return Settings()
