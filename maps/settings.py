"""The map pages' options: the basemap and the cookie's Secure flag (how long a session lasts is an access rule:
gis.settings). CCGRID_ variables, as every setting is."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class MapSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CCGRID_", env_file=".env", extra="ignore")

    # Map pages: basemap is "none" (the city's own layers only), "tianditu" (needs tianditu_key) or an XYZ URL
    # template of an internal tile server, e.g. http://tiles.example.gov.cn/{z}/{x}/{y}.png.
    basemap: str = "none"
    tianditu_key: str | None = None
    basemap_attribution: str = ""
    # The session cookie of the map pages is Secure when the request came over HTTPS, or always when this is true
    # (set it behind a TLS-terminating proxy).
    cookie_secure: bool = False


@lru_cache
def get_map_settings() -> MapSettings:
    return MapSettings()
