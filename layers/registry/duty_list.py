"""The 责任清单: one row per owner × place, as published on street signs and sent to 街道."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.limits import export_slot
from gis.settings import get_settings
from gis.sql import load
from layers.access.caller import Caller
from layers.common.excel import write_workbook
from layers.registry.assignments import today
from layers.spatial.catalog import LAYERS

HEADER = ["序号", "责任人/单位", "角色", "图层", "编码", "名称", "路段（起—止）", "所属区域", "巡查要求", "联系电话",
          "起始日期", "截止日期"]



def _duty(days: int | None) -> str:
    if not days:
        return ""
    return {1: "每日巡查", 7: "每周巡查", 14: "每两周巡查", 15: "每月两次", 30: "每月巡查"}.get(days, f"每{days}天巡查")


def xlsx(session: Session, out: IO[bytes], *, caller: Caller, region: str | None = None,
         on: date | None = None) -> int:
    """The 责任清单 as a workbook streamed to `out` (phones only for callers who manage people). More than
    CCGRID_EXPORT_MAX_ROWS rows are refused: a 责任清单 cut short would be wrong, so it is exported per region."""
    if region:
        caller.require_covers(region, what=f"region {region}", field="region")
    scope = region or caller.scope
    with_contact = caller.can("manage_people")
    cap = get_settings().export_max_rows
    with export_slot():
        data = session.execute(text(load(__file__, "duty_list")).execution_options(yield_per=2_000),
                               {"on": on or today(session), "scope": scope or ""}).mappings()

        def body() -> Iterator[list[Any]]:
            for i, r in enumerate((r for part in data.partitions() for r in part), start=1):
                if i > cap:
                    raise InvalidInput(f"the 责任清单 has more than {cap:,} rows (CCGRID_EXPORT_MAX_ROWS); "
                                       "export it one 街道 at a time (region)", field="region")
                yield [i, r["holder"], r["role_name"], LAYERS[r["layer"]].title, r["code"], r["name"],
                       r["section"] or "", r["region_name"] or "", _duty(r["patrol_every_days"]),
                       (r["phone"] or "") if with_contact else "", r["valid_from"], r["valid_to"] or ""]

        return write_workbook(out, "责任清单", HEADER, body(), widths=[6, 14, 12, 10, 18, 22, 22, 22, 10, 14, 12, 12])
