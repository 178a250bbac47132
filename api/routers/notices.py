"""Published 通报 (frozen snapshots: 红黑榜, 红黄旗, 曝光台, overdue list, escalations, 测评) as JSON and Word, and the
负面清单. Publishing and withdrawing need `publish` (创城办); reading needs `read`."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import DbSession
from api.responses import XLSX, binary
from layers.analytics.ranking import DEFAULT_MIN_RANKED, DEFAULT_MIN_SAMPLE, METRICS
from layers.campaign import negative_list, notice_service
from layers.campaign.notice_schemas import NegativeList, Notice
from layers.campaign.notice_snapshot import LEVELS
from maps import notice_docx

router = APIRouter(prefix="/api/v1", tags=["campaign"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PERIOD = Query(None, max_length=10, description="2026-W49, 2026-11, 2026-B6, 2026-Q4 or 2026")


def _id():  # a Path of its own for each parameter: FastAPI keeps state on it
    return Path(ge=1, le=2**63 - 1)


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str = Field(max_length=10, description="the period it reports on: 2026-W49, 2026-11, 2026-B6 …")
    scope: str | None = Field(None, pattern=r"^\d{6}(\d{3}){0,2}$",
                              description="a 区/街道/社区 code; default the caller's region, or the whole city")
    title: str | None = Field(None, max_length=200, description="default 关于…创建全国文明城市工作情况的通报")
    levels: list[str] | None = Field(None, max_length=4, description=f"红黑榜 levels among {', '.join(LEVELS)}")
    sort: str = Field("on_time_rate", pattern="^(" + "|".join(METRICS) + ")$")
    min_sample: int = Field(DEFAULT_MIN_SAMPLE, ge=1, le=10_000, description="problems due before a row ranks")
    min_ranked: int = Field(DEFAULT_MIN_RANKED, ge=2, le=1000, description="ranked rows before lists are shown")


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    reissue: bool = Field(False, description="publish it again at once under a new number, with a fresh snapshot")


def attachment(name: str, fallback: str) -> dict[str, str]:
    """Content-Disposition for a file named in Chinese (RFC 6266), with a plain fallback."""
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"}


@router.get("/notices", summary="Published 通报, newest first", response_model=list[Notice],
            response_model_exclude_none=True)
def notices(s: DbSession, period: str | None = PERIOD,
            state: str | None = Query(None, pattern="^(published|withdrawn)$"),
            limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=1_000_000),
            principal: Principal = Depends(require("read"))) -> list[dict]:
    return notice_service.listing(s, caller=principal.caller, period=period, state=state, limit=limit, offset=offset)


@router.post("/notices", status_code=201, summary="Publish a 通报 for a period: its snapshot is taken now, numbered "
             "and never changes", response_model=Notice)
def publish(s: DbSession, body: NoticeIn, principal: Principal = Depends(require("publish"))) -> dict:
    return notice_service.publish(s, caller=principal.caller, period=body.period, scope=body.scope, title=body.title,
                                  levels=body.levels, sort=body.sort, min_sample=body.min_sample,
                                  min_ranked=body.min_ranked)


@router.get("/notices/{notice_id}", summary="One 通报 with its snapshot", response_model=Notice)
def notice(s: DbSession, notice_id: int = _id(), principal: Principal = Depends(require("read"))) -> dict:
    return notice_service.get(s, notice_id, caller=principal.caller, with_snapshot=True)


@router.get("/notices/{notice_id}/document.docx", summary="One 通报 as a Word document (the same bytes every time)",
            response_class=Response,
            responses={200: {"content": {DOCX: {"schema": {"type": "string", "format": "binary"}}},
                             "description": "the .docx"}})
def document(s: DbSession, notice_id: int = _id(), principal: Principal = Depends(require("read"))) -> Response:
    found = notice_service.get(s, notice_id, caller=principal.caller, with_snapshot=True)
    data = notice_docx.render(found["snapshot"], notice_service.photos(s, notice_id, caller=principal.caller))
    return Response(data, media_type=DOCX, headers=attachment(f"{found['number']}.docx", f"notice-{notice_id}.docx"))


@router.post("/notices/{notice_id}/withdraw", summary="Withdraw a 通报 (with the reason), optionally reissuing it "
             "under a new number", response_model=Notice)
def withdraw(s: DbSession, body: WithdrawIn, notice_id: int = _id(),
             principal: Principal = Depends(require("publish"))) -> dict:
    return notice_service.withdraw(s, notice_id, caller=principal.caller, reason=body.reason, reissue=body.reissue)


@router.get("/negative-list", summary="负面清单: who reached 约谈/问责, or was on the 黑榜 of two 通报 in a row",
            response_model=NegativeList, responses=binary(XLSX, "JSON, or with format=xlsx the workbook"))
def negative(s: DbSession, period: str | None = PERIOD,
             format: str = Query("json", pattern="^(json|xlsx)$"),  # noqa: A002 - the query parameter's name
             principal: Principal = Depends(require("read"))):
    result = negative_list.listing(s, caller=principal.caller, period=period)
    if format == "xlsx":
        code = result["period"]["code"]
        return Response(negative_list.xlsx(result), media_type=XLSX,
                        headers=attachment(f"负面清单{code}.xlsx", f"negative-list-{code}.xlsx"))
    return result
