"""A 交办单 as the Excel the recipient fills in and sends back, and the import of its reply column.

The workbook has one row per item with its problem number and a column 整改情况（回复） holding the newest reply.
Importing it records each row's reply when it differs from the item's newest (so importing the same file twice
records nothing the second time). A dry run (预览) answers what each row would do and the refused rows — a problem
not on this sheet, a row repeated, a reply too long, a reply to an item already 销号 — and writes nothing; an
import with refused rows writes nothing unless told to skip them, as the roster import does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from gis.errors import CcgridError, InvalidInput
from gis.times import CITY_TZ
from layers.access.caller import Caller
from layers.campaign import dispatch_service
from layers.common.excel import workbook
from layers.common.tables import read_table
from layers.spatial.writer import Rejection, RowsRejected

HEADER = ["序号", "问题编号", "问题分类", "地点", "问题描述", "整改期限", "问题状态", "对账", "整改情况（回复）"]
WIDTHS = [6, 10, 14, 22, 36, 18, 10, 12, 48]
ALIASES = {"序号": "seq", "问题编号": "problem_id", "编号": "problem_id", "问题号": "problem_id",
           "整改情况（回复）": "reply", "整改情况(回复)": "reply", "整改情况": "reply", "回复": "reply",
           "整改回复": "reply", "落实情况": "reply"}


@dataclass
class RowOutcome:
    row: int
    seq: int
    problem_id: int
    outcome: str  # replied | unchanged | empty
    reply: str | None


@dataclass
class ImportResult:
    rows: int = 0
    replied: int = 0
    unchanged: int = 0
    empty: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    dry_run: bool = False


def _local(value: Any) -> str:
    return value.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def xlsx(sheet: dict[str, Any]) -> bytes:
    rows = [[i["seq"], i["problem_id"], i["category"] or "", i["place"] or "", i["description"] or "",
             _local(i["deadline"]), i["status_name"] or "", i["state_name"], i["reply"] or ""] for i in sheet["items"]]
    return workbook(sheet["number"], HEADER, rows, WIDTHS)


def _problem_id(value: Any) -> int:
    try:
        pid = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(f"not a problem number: {value!r}", field="problem_id") from None
    if pid < 1:
        raise InvalidInput(f"not a problem number: {value!r}", field="problem_id")
    return pid


def import_replies(session: Session, sheet_id: int, path: Path, *, caller: Caller, person_id: int | None = None,
                   dry_run: bool = False, skip_invalid: bool = False) -> ImportResult:
    sheet = dispatch_service.sheet_for_reply(session, sheet_id, caller, person_id)
    df = read_table(path, ALIASES, "a returned 交办单")
    if "problem_id" not in df.columns or "reply" not in df.columns:
        raise InvalidInput("the sheet needs the columns 问题编号 and 整改情况（回复）", field="file")
    df = df.astype(object).where(df.notna(), None)
    items = {i["problem_id"]: i for i in sheet["items"]}
    result = ImportResult(rows=len(df), dry_run=dry_run)
    outer = session.begin_nested()
    seen: set[int] = set()
    try:
        for n, row in enumerate(df.to_dict("records"), start=1):
            try:
                pid = _problem_id(row.get("problem_id"))
                item = items.get(pid)
                if item is None:
                    raise InvalidInput(f"problem {pid} is not on {sheet['number']}", field="problem_id")
                if pid in seen:
                    raise InvalidInput(f"problem {pid} is on two rows", field="problem_id")
                seen.add(pid)
                text = str(row.get("reply") or "").strip()
                if not text:
                    result.empty += 1
                    result.outcomes.append(RowOutcome(n, item["seq"], pid, "empty", None))
                    continue
                done = dispatch_service.record_reply(session, sheet, item, dispatch_service.clean_reply(text),
                                                     caller=caller, via="excel")
            except CcgridError as exc:
                result.rejected.append(Rejection(n, exc.field or "row", exc.message))
                continue
            if done == "replied":
                result.replied += 1
            else:
                result.unchanged += 1
            result.outcomes.append(RowOutcome(n, item["seq"], pid, done, text))
    except BaseException:
        outer.rollback()
        raise
    if dry_run or (result.rejected and not skip_invalid):
        outer.rollback()
    else:
        outer.commit()
    if result.rejected and not skip_invalid and not dry_run:
        raise RowsRejected(result.rejected)
    return result
