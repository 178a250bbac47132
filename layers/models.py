"""GeoAlchemy2 models of the layers. The schema itself (triggers, checks, indexes) lives in the migrations."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SRID = 4490


def _geom(kind: str) -> Geometry:
    # Indexes are created by the migration; GeoAlchemy2 must not add its own.
    return Geometry(kind, srid=SRID, spatial_index=False)


def _metric() -> Geometry:
    return Geometry("GEOMETRY", srid=-1, spatial_index=False)


class Base(DeclarativeBase):
    pass


class CitySetting(Base):
    __tablename__ = "city_settings"
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Region(Base):
    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    district_code: Mapped[str] = mapped_column(String(6))
    properties: Mapped[dict] = mapped_column(JSONB, default=dict)
    geom = mapped_column(_geom("MULTIPOLYGON"), nullable=False)
    geom_m = mapped_column(_metric())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GridCell(Base):
    __tablename__ = "grid_cells"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    region_code: Mapped[str] = mapped_column(String(12))
    district_code: Mapped[str] = mapped_column(String(6))
    area_m2: Mapped[float | None]
    properties: Mapped[dict] = mapped_column(JSONB, default=dict)
    geom = mapped_column(_geom("MULTIPOLYGON"), nullable=False)
    geom_m = mapped_column(_metric())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Street(Base):
    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text, default="")
    road_class: Mapped[str] = mapped_column(Text)
    section_from: Mapped[str | None] = mapped_column(Text)
    section_to: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(12))
    district_code: Mapped[str | None] = mapped_column(String(6))
    length_m: Mapped[float | None]
    osm_id: Mapped[int | None] = mapped_column(BigInteger)
    properties: Mapped[dict] = mapped_column(JSONB, default=dict)
    geom = mapped_column(_geom("LINESTRING"), nullable=False)
    geom_m = mapped_column(_metric())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PointType(Base):
    __tablename__ = "point_types"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    category: Mapped[str] = mapped_column(Text)
    geometry_hint: Mapped[str] = mapped_column(Text)
    sort: Mapped[int] = mapped_column(Integer, default=0)


class AssessmentPoint(Base):
    __tablename__ = "assessment_points"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    point_type: Mapped[str] = mapped_column(ForeignKey("point_types.name"))
    address: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(12))
    district_code: Mapped[str | None] = mapped_column(String(6))
    properties: Mapped[dict] = mapped_column(JSONB, default=dict)
    geom = mapped_column(_geom("GEOMETRY"), nullable=False)
    geom_m = mapped_column(_metric())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    entity: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSONB, default=dict)
