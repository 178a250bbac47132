from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbSession
from gis.db import postgis_version
from layers.schema.migrate import current_revision
from layers.spatial.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Database and PostGIS versions", response_model=Health)
def healthz(s: DbSession) -> dict:
    versions = postgis_version(s)
    revision = current_revision(s.get_bind())
    return {"status": "ok", **versions, "schema_revision": revision}
