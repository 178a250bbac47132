"""Published 通报: numbered, frozen, withdrawn and reissued.

Publishing takes the snapshot (notice_snapshot.py) and the next number (`创城通〔2026〕第12号`,
notice_numbering.py) in one transaction and stores both with the exposures' photos; from then on the notice is
data that nothing rewrites (the table's trigger refuses a change to its content), so the Word document and the
printable page rendered from it are the same next year as today, whatever reports come in. One notice is in force
per period and scope; a wrong one is withdrawn (with a reason) and, if asked, reissued at once under a new number
with a fresh snapshot, the two naming each other. Every publish and withdrawal is audited.

Reading: a city-wide 通报 is for every reader; one of a region for the readers of that region and of the regions
that hold it.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import periods
from gis.errors import Conflict, Forbidden, InvalidInput, NotFound
from gis.sql import load
from gis.times import CITY_TZ
from layers.access.caller import Caller
from layers.analytics import ranking as ranking_svc
from layers.campaign import notice_snapshot
from layers.campaign.notice_numbering import next_number
from layers.common.audit import record

STATES = {"published": "已发布", "withdrawn": "已撤回"}
MAX_TITLE = 200


def display_name(actor: str) -> str:
    """Who an actor is, as a document names them: `user:3 (张三)` → 张三."""
    m = re.search(r"\((.+)\)$", actor)
    return m.group(1) if m else actor


def canonical(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(snapshot: dict[str, Any], photos: list[bytes]) -> str:
    """sha256 of the snapshot's canonical JSON and its photos: what the notice says, as one value to compare."""
    h = hashlib.sha256(canonical(snapshot).encode())
    for jpeg in photos:
        h.update(hashlib.sha256(jpeg).digest())
    return h.hexdigest()


def default_title(chosen: periods.Period, scope_name: str) -> str:
    where = "" if scope_name == "全市" else scope_name
    return f"关于{where}{chosen.label}创建全国文明城市工作情况的通报"


def _scope(session: Session, caller: Caller, scope: str | None) -> str | None:
    if scope is not None and not re.fullmatch(r"\d{6}(\d{3}){0,2}", scope):
        raise InvalidInput("scope is a region code (6, 9 or 12 digits), or empty for the whole city", field="scope")
    scope = scope or caller.scope
    if caller.scope and not (scope or "").startswith(caller.scope):
        raise Forbidden(f"scope {scope} is outside your region {caller.scope}", field="scope")
    notice_snapshot.region_name(session, scope)  # 404 for an unknown region
    return scope


def publish(session: Session, *, caller: Caller, period: str, scope: str | None = None, title: str | None = None,
            levels: list[str] | None = None, sort: str = "on_time_rate",
            min_sample: int = ranking_svc.DEFAULT_MIN_SAMPLE, min_ranked: int = ranking_svc.DEFAULT_MIN_RANKED,
            replaces: int | None = None) -> dict[str, Any]:
    """Take the snapshot of `period` inside `scope` now, number it and store it; the notice as `get` answers it."""
    if not caller.can("publish"):
        raise Forbidden("publishing a 通报 needs the publish permission (创城办)")
    chosen = periods.parse(period)
    scope = _scope(session, caller, scope)
    at = session.execute(text("SELECT now()")).scalar_one()
    if chosen.start > at.astimezone(CITY_TZ).date():
        raise InvalidInput(f"{chosen.label} has not begun: a 通报 reports on a period that has", field="period")
    title = (title or "").strip() or default_title(chosen, notice_snapshot.region_name(session, scope))
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"title is longer than {MAX_TITLE} characters", field="title")
    if any(ord(c) < 32 for c in title):
        raise InvalidInput("the title holds control characters", field="title")
    current = session.execute(text(load(__file__, "notice_current")),
                              {"period": chosen.code, "scope": scope}).one_or_none()
    if current is not None:
        raise Conflict(f"{current.number} is in force for {chosen.label}: withdraw it to reissue", field="period")
    body, photos = notice_snapshot.take(session, period=chosen.code, scope=scope, caller=caller,
                                        levels=tuple(levels) if levels else None, sort=sort,
                                        min_sample=min_sample, min_ranked=min_ranked, at=at)
    number = next_number(session, "notice", at.astimezone(CITY_TZ).year)  # the counter's lock, held briefly
    previous = get(session, replaces, caller=caller) if replaces else None
    snapshot = {
        "number": number.text, "title": title, "issuer": number.issuer,
        "published_at": notice_snapshot.plain(at), "published_by": display_name(caller.actor),
        "replaces": previous["number"] if previous else None,
        "options": {"levels": [b["level"] for b in body["boards"]], "sort": sort, "min_sample": min_sample,
                    "min_ranked": min_ranked},
        **body,
    }
    sums = digest(snapshot, [ph["jpeg"] for ph in photos])
    notice_id = session.execute(text(load(__file__, "notice_insert")), {
        "number": number.text, "year": number.year, "seq": number.seq, "title": title, "period": chosen.code,
        "period_kind": chosen.kind, "period_start": chosen.start, "period_end": chosen.end, "scope": scope,
        "snapshot": json.dumps(snapshot, ensure_ascii=False), "digest": sums, "published_by": caller.actor,
        "published_at": at, "replaces": replaces}).scalar_one()
    for ph in photos:
        session.execute(text("INSERT INTO notice_photos (notice_id, seq, problem_id, photo_id, jpeg, width, height) "
                             "VALUES (:n, :seq, :problem_id, :photo_id, :jpeg, :width, :height)"),
                        {"n": notice_id, **ph})
    record(session, caller.actor, "notice_publish", "notices", notice_id,
           {"number": number.text, "period": chosen.code, "scope": scope, "digest": sums, "replaces": replaces,
            "photos": len(photos)})
    return get(session, notice_id, caller=caller)


def listing(session: Session, *, caller: Caller, period: str | None = None, state: str | None = None,
            limit: int = 100, offset: int = 0, notice_id: int | None = None) -> list[dict[str, Any]]:
    if period:
        period = periods.parse(period).code
    if state is not None and state not in STATES:
        raise InvalidInput(f"state is one of {', '.join(STATES)}", field="state")
    rows = session.execute(text(load(__file__, "notice_list")),
                           {"scope": caller.scope, "period": period or None, "state": state, "id": notice_id,
                            "limit": limit, "offset": offset}).mappings()
    out = []
    for r in rows:
        chosen = periods.parse(r["period"])
        out.append({**dict(r), "period_label": chosen.label, "state_name": STATES[r["state"]]})
    return out


def get(session: Session, notice_id: int, *, caller: Caller, with_snapshot: bool = False) -> dict[str, Any]:
    rows = listing(session, caller=caller, notice_id=notice_id, limit=1)
    if not rows:
        raise NotFound(f"notice {notice_id} not found", field="notice_id")
    out = rows[0]
    if with_snapshot:
        out["snapshot"] = session.execute(text("SELECT snapshot FROM notices WHERE id = :i"),
                                          {"i": notice_id}).scalar_one()
    return out


def photos(session: Session, notice_id: int, *, caller: Caller) -> dict[int, bytes]:
    """The notice's photos by their number in the snapshot (seq)."""
    get(session, notice_id, caller=caller)
    rows = session.execute(text("SELECT seq, jpeg FROM notice_photos WHERE notice_id = :n ORDER BY seq"),
                           {"n": notice_id}).all()
    return {seq: bytes(jpeg) for seq, jpeg in rows}


def withdraw(session: Session, notice_id: int, *, caller: Caller, reason: str,
             reissue: bool = False) -> dict[str, Any]:
    """Withdraw a notice in force (the reason is kept); with `reissue`, publish it again now under a new number
    with a fresh snapshot of the same period, scope, title and boards. Answers the withdrawn notice."""
    if not caller.can("publish"):
        raise Forbidden("withdrawing a 通报 needs the publish permission (创城办)")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the notice is withdrawn", field="reason")
    if len(reason) > 2000:
        raise InvalidInput("reason is longer than 2000 characters", field="reason")
    notice = get(session, notice_id, caller=caller, with_snapshot=True)
    if caller.scope and not (notice["scope"] or "").startswith(caller.scope):
        raise Forbidden(f"{notice['number']} was published for a wider region than yours", field="notice_id")
    locked = session.execute(text("SELECT state FROM notices WHERE id = :i FOR UPDATE"), {"i": notice_id}).scalar()
    if locked != "published":
        raise Conflict(f"{notice['number']} is withdrawn already", field="notice_id")
    session.execute(text("UPDATE notices SET state = 'withdrawn', withdrawn_by = :a, withdrawn_at = now(), "
                         "withdraw_reason = :r WHERE id = :i"), {"a": caller.actor, "r": reason, "i": notice_id})
    new = None
    if reissue:
        options = notice["snapshot"].get("options") or {}
        new = publish(session, caller=caller, period=notice["period"], scope=notice["scope"], title=notice["title"],
                      levels=options.get("levels"), sort=options.get("sort", "on_time_rate"),
                      min_sample=options.get("min_sample", ranking_svc.DEFAULT_MIN_SAMPLE),
                      min_ranked=options.get("min_ranked", ranking_svc.DEFAULT_MIN_RANKED), replaces=notice_id)
        session.execute(text("UPDATE notices SET replaced_by = :n WHERE id = :i"), {"n": new["id"], "i": notice_id})
    record(session, caller.actor, "notice_withdraw", "notices", notice_id,
           {"number": notice["number"], "reason": reason, "reissued_as": new["number"] if new else None})
    return get(session, notice_id, caller=caller)
