"""What the routers declare about their answers besides the models: media types, the error answers and the
GeoJSON response class (so OpenAPI shows a GeoJSON answer's schema under application/geo+json)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from api.downloads import XLSX
from layers.spatial.schemas import ErrorBody

GEOJSON = "application/geo+json"
__all__ = ["XLSX", "GEOJSON", "MVT"]
MVT = "application/vnd.mapbox-vector-tile"


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Every route may answer these (the app's exception handlers write them); Open311 overrides its own.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("no valid token"),
    403: _error("the token's role or region does not allow it"),
    404: _error("not found (or outside the caller's region)"),
    409: _error("conflicts with existing data"),
    413: _error("request body too large"),
    422: _error("invalid input: `field` names it, `rejected` lists bad rows, `errors` every failed check"),
    503: _error("database unavailable or a statement cancelled by the timeout (with Retry-After)"),
}


def binary(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 answer that is not JSON (Excel, vector tiles)."""
    return {200: {"content": {media_type: {}}, "description": description}}
