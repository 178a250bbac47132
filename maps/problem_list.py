"""The problem ledger page (/maps/problems): its GET form's fields read into a ProblemQuery, and the links it draws
(pages, sort, removable chips, export) written back from one, so every URL the page shows is shareable and says
exactly what it lists. The query parameters are the JSON API's (GET /api/v1/problems), except that the page lists
first reports only unless `duplicates=true` (as the home page and the heatmap count).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from gis.errors import InvalidInput
from gis.times import city_time
from layers.ledger.listing import SORTS, ProblemQuery
from layers.spatial.features import parse_bbox

PAGE_SIZES = (20, 50, 100)
DEFAULT_SIZE = 50
DEFAULT_SORT = "reported_desc"
SORT_NAMES = {"reported_desc": "上报时间（最新在前）", "reported": "上报时间（最早在前）",
              "due": "整改时限（最早在前）", "due_desc": "整改时限（最晚在前）", "id_desc": "编号（最大在前）"}
CELL_NAMES = {"hex": "六边形", "square": "方格", "grid_cell": "单元网格", "community": "社区"}
_TRUE, _FALSE = ("true", "1", "on", "yes"), ("false", "0", "off", "no")


@dataclass
class ListRequest:
    """What the page was asked for: the filters (region not yet checked against the caller), order and page."""

    query: ProblemQuery
    region: str | None = None
    sort: str = DEFAULT_SORT
    offset: int = 0
    limit: int = DEFAULT_SIZE
    errors: list[str] = field(default_factory=list)

    def params(self, **changes: Any) -> dict[str, str]:
        """The page's query string as a dict, with `changes` (a None value drops the field)."""
        out = self.query.to_params()
        out["duplicates"] = "true" if self.query.duplicates else "false"
        if self.region:
            out["region"] = self.region
        if self.sort != DEFAULT_SORT:
            out["sort"] = self.sort
        if self.offset:
            out["offset"] = str(self.offset)
        if self.limit != DEFAULT_SIZE:
            out["limit"] = str(self.limit)
        if out["duplicates"] == "false":
            del out["duplicates"]  # the page's default
        for k, v in changes.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = str(v)
        return out

    def url(self, **changes: Any) -> str:
        query = urlencode(self.params(**changes))
        return "/maps/problems" + (f"?{query}" if query else "")

    def export_url(self, fmt: str) -> str:
        """The API's export of exactly this list (every page of it, in this order)."""
        params = self.query.to_params()
        params.update({"format": fmt, "sort": self.sort, "duplicates": "true" if self.query.duplicates else "false"})
        if self.region:
            params["region"] = self.region
        return "/api/v1/problems/export?" + urlencode(params)


def _int(params: Mapping[str, str], name: str, lo: int, hi: int) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"-?\d{1,9}", raw) or not lo <= int(raw) <= hi:
        raise InvalidInput(f"{name} must be a whole number from {lo} to {hi}", field=name)
    return int(raw)


def _bool(params: Mapping[str, str], name: str) -> bool | None:
    raw = params.get(name, "").strip().lower()
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise InvalidInput(f"{name} must be true or false", field=name)


def _time(params: Mapping[str, str], name: str) -> datetime | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        at = datetime.fromisoformat(raw) if "T" in raw or " " in raw else datetime.combine(date.fromisoformat(raw),
                                                                                            datetime.min.time())
        return city_time(at)
    except ValueError:
        raise InvalidInput(f"{name} must be a date (2026-12-01) or a time", field=name) from None


def _text(params: Mapping[str, str], name: str, max_len: int = 50) -> str | None:
    raw = params.get(name, "").strip()
    if len(raw) > max_len:
        raise InvalidInput(f"{name} is too long", field=name)
    return raw or None


def _float(params: Mapping[str, str], name: str) -> float | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a number", field=name) from None


def parse(params: Mapping[str, str]) -> ListRequest:
    """The page's GET form read leniently: empty fields are no filter; a bad field is an error naming it (and
    is left out), never a 500."""
    req = ListRequest(query=ProblemQuery(duplicates=False))
    readers = {
        "status": lambda: _text(params, "status", 20), "category": lambda: _text(params, "category"),
        "source": lambda: _text(params, "source", 30), "overdue": lambda: _bool(params, "overdue"),
        "due_within_hours": lambda: _int(params, "due_within_hours", 1, 24 * 60),
        "since": lambda: _time(params, "since"), "until": lambda: _time(params, "until"),
        "closed_within_days": lambda: _int(params, "closed_within_days", 1, 3650),
        "bbox": lambda: parse_bbox(_text(params, "bbox", 200)),
        "owner_person_id": lambda: _int(params, "owner_person_id", 1, 2**31 - 1),
        "department_id": lambda: _int(params, "department_id", 1, 2**31 - 1),
        "evidence_flagged": lambda: _bool(params, "evidence_flagged"),
        "cell": lambda: _text(params, "cell", 20), "cell_key": lambda: _text(params, "cell_key", 40),
        "size_m": lambda: _float(params, "size_m"), "duplicates": lambda: bool(_bool(params, "duplicates")),
    }
    values: dict[str, Any] = {}
    for name, read in readers.items():
        try:
            values[name] = read()
        except InvalidInput as exc:
            req.errors.append(str(exc))
    req.query = replace(req.query, **values)
    region = _text(params, "region", 12)
    if region and not re.fullmatch(r"\d{6,12}", region):
        req.errors.append("region must be a region code (6 to 12 digits)")
        region = None
    req.region = region
    sort = params.get("sort") or DEFAULT_SORT
    if sort not in SORTS:
        req.errors.append(f"sort must be one of {', '.join(SORTS)}")
        sort = DEFAULT_SORT
    req.sort = sort
    for name, lo, hi in (("offset", 0, 10_000_000), ("limit", 1, max(PAGE_SIZES))):
        try:
            value = _int(params, name, lo, hi)
        except InvalidInput as exc:
            req.errors.append(str(exc))
            value = None
        if value is not None:
            setattr(req, name, value)
    return req


def pager(req: ListRequest, total: int) -> dict[str, Any]:
    """Page links: first, a window around the current page, last; each a URL of the same list."""
    pages = max(1, -(-total // req.limit))
    current = min(req.offset // req.limit, pages - 1)
    window = sorted({0, pages - 1, *range(max(0, current - 2), min(pages, current + 3))})
    links = [{"n": n + 1, "url": req.url(offset=n * req.limit or None), "current": n == current} for n in window]
    return {"pages": pages, "current": current + 1, "links": links,
            "prev": req.url(offset=(current - 1) * req.limit or None) if current > 0 else None,
            "next": req.url(offset=(current + 1) * req.limit) if current + 1 < pages else None,
            "first_row": min(total, req.offset + 1), "last_row": min(total, req.offset + req.limit)}


def chips(req: ListRequest, owner_name: str | None, region_name: str | None) -> list[dict[str, str]]:
    """Filters set by a link rather than the form (a map's view, a heatmap cell, an owner), each removable."""
    q = req.query
    out = []
    if q.bbox:
        out.append({"label": "地图范围", "title": ",".join(f"{x:g}" for x in q.bbox),
                    "remove": req.url(bbox=None, offset=None)})
    if q.cell:
        size = f" {q.size_m:g} 米" if q.size_m and q.cell in ("hex", "square") else ""
        out.append({"label": f"热力图{CELL_NAMES.get(q.cell, q.cell)}{size}", "title": q.cell_key or "",
                    "remove": req.url(cell=None, cell_key=None, size_m=None, offset=None)})
    if q.owner_person_id:
        out.append({"label": f"责任人：{owner_name or q.owner_person_id}", "title": "",
                    "remove": req.url(owner_person_id=None, offset=None)})
    if q.closed_within_days:
        out.append({"label": f"近{q.closed_within_days}天销号", "title": "",
                    "remove": req.url(closed_within_days=None, offset=None)})
    if req.region and region_name:
        out.append({"label": f"区域：{region_name}", "title": req.region, "remove": req.url(region=None, offset=None)})
    return out


def date_value(at: datetime | None) -> str:
    """A time for an <input type=date> (Beijing date)."""
    if at is None:
        return ""
    from gis.times import CITY_TZ

    return at.astimezone(CITY_TZ).date().isoformat()
