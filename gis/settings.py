"""The one settings object. Every knob is a `CCGRID_` environment variable."""

from __future__ import annotations

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

    # How far (metres) a feature may stick out of its parent region before it is rejected.
    containment_tolerance_m: float = 50.0
    # Nearest-street search radius for /locate (metres).
    locate_street_radius_m: float = 200.0

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
    # database, so across worker processes). An account (next issue: passwords) has a lower limit than an address,
    # which may be a whole office behind one NAT.
    auth_failures_per_ip: int = 30
    auth_failures_per_account: int = 5
    auth_failure_window_s: int = 300


@lru_cache
def get_settings() -> Settings:
    return Settings()
