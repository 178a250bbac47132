"""A year of synthetic reports for the demo city, clustered where real ones are (markets, main streets, old estates,
school gates), from every source, in every lifecycle state — some overdue, some reworked, some escalated.

Reports go in through the bulk importer (so they are routed like real ones); their histories are then written
set-based with the timestamps a real year would have.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.settings import get_settings
from gis.sql import load as load_sql
from layers.ledger import escalation
from layers.ledger.bulk_import import import_problems
from layers.ledger.calendar import TZ, WorkCalendar

# Where reports cluster, and what is reported there.
ANCHORS = {
    "农贸市场": ["0101", "0401", "0402", "0404", "0603"],
    "老旧小区": ["0102", "0402", "0602", "0605", "0601"],
    "学校周边": ["0401", "0403", "0201", "0101"],
    "中小学校": ["0403", "0401", "0201"],
    "arterial": ["0401", "0403", "0201", "0601", "0502", "0501", "0303", "0604"],
    "street": ["0101", "0201", "0401", "0403", "0601", "0502"],  # the thin background along ordinary streets
}
SOURCES = ["patrol", "grid_worker", "hotline", "mystery", "mock_assessment", "leader_referral", "public", "media"]
SOURCE_WEIGHTS = [0.33, 0.28, 0.21, 0.01, 0.02, 0.03, 0.115, 0.005]


def _demo_photo() -> bytes:
    """The one picture every demo re-inspection shows: plainly synthetic (sky, kerb, road), a real PNG a browser
    draws (it was a bare PNG header, shown as a broken image)."""
    img = Image.new("RGB", (320, 240), (196, 214, 230))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 150, 320, 240), fill=(120, 124, 128))
    draw.rectangle((0, 142, 320, 150), fill=(210, 210, 200))
    for x in range(10, 320, 60):
        draw.rectangle((x, 192, x + 30, 198), fill=(240, 240, 240))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _anchors(session: Session) -> list[tuple[float, float, str]]:
    rows = session.execute(text(load_sql(__file__, "problem_anchors"))).all()
    return [(x, y, k) for x, y, k in rows]


def load(session: Session, rng: np.random.Generator, n: int, now: datetime | None = None) -> int:
    now = now or datetime.now(TZ)
    anchors = _anchors(session)
    weights = np.array([3.0 if k == "农贸市场" else 2.0 if k == "arterial" else 0.15 if k == "street" else 1.5
                        for *_, k in anchors])
    pick = rng.choice(len(anchors), size=n, p=weights / weights.sum())
    metres = rng.normal(0, 35, size=(n, 2))
    lon = np.array([anchors[i][0] for i in pick]) + metres[:, 0] / 91_000
    lat = np.array([anchors[i][1] for i in pick]) + metres[:, 1] / 111_000
    cats = [rng.choice(ANCHORS[anchors[i][2]]) for i in pick]
    seconds = rng.integers(0, 365 * 86400, size=n)
    at = [now - timedelta(seconds=int(s)) for s in seconds]
    frame = pd.DataFrame({
        "external_id": [f"DEMO-{i:07d}" for i in range(n)], "category": cats,
        "source": rng.choice(SOURCES, size=n, p=SOURCE_WEIGHTS), "lon": lon.round(6), "lat": lat.round(6),
        "description": [f"示例问题{i}（虚构）" for i in range(n)],
        "reported_at": [a.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S") for a in at]})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-problems.csv"
        frame.to_csv(path, index=False)
        import_problems(session, path, actor="demo", skip_invalid=True)
    _histories(session, rng, now)
    escalation.run(session, as_of=now, actor="demo")
    return n


def _histories(session: Session, rng: np.random.Generator, now: datetime) -> None:
    """Walk each demo problem to a state its age makes plausible, with events, photos and deadlines."""
    cal = WorkCalendar.load(session)
    rows = session.execute(text(load_sql(__file__, "problem_ages"))).all()
    photo_path = Path(get_settings().data_dir).absolute() / "photos" / "demo.png"
    photo_path.parent.mkdir(parents=True, exist_ok=True)
    photo_path.write_bytes(picture := _demo_photo())
    problems, events = [], []
    for pid, reported, amount, unit in rows:
        if rng.random() < 0.03:  # 不予立案
            events.append((pid, reported + timedelta(hours=2), "不予立案", "reported", "rejected", "不属于受理范围"))
            problems.append((pid, "rejected", None, None, reported + timedelta(hours=2), 0))
            continue
        registered = reported + timedelta(minutes=int(rng.integers(20, 240)))
        dispatched = registered + timedelta(minutes=int(rng.integers(10, 120)))
        if dispatched >= now:
            problems.append((pid, "reported", None, None, None, 0))
            continue
        due = cal.add(dispatched, amount or 5, unit or "days")
        events += [(pid, registered, "立案", "reported", "registered", None),
                   (pid, dispatched, "派遣", "registered", "dispatched", None),
                   (pid, dispatched + timedelta(hours=1), "签收整改", "dispatched", "in_progress", None)]
        # Most are fixed in time; one in thirty late; one in eighty never (those are the overdue ones).
        late = rng.random() < 1 / 30
        never = rng.random() < 1 / 80
        span = (due - dispatched) * (rng.uniform(1.1, 3.0) if late else rng.uniform(0.2, 0.9))
        rectified = dispatched + span
        if never or rectified >= now:
            problems.append((pid, "in_progress", dispatched, due, None, 0))
            continue
        rework = 1 if rng.random() < 0.03 else 0
        events.append((pid, rectified, "整改完成", "in_progress", "rectified", "已整改"))
        if rework:
            events += [(pid, rectified + timedelta(hours=20), "退回", "rectified", "in_progress", "复查仍有问题"),
                       (pid, rectified + timedelta(hours=30), "整改完成", "in_progress", "rectified", "二次整改")]
            rectified += timedelta(hours=30)
        verified = rectified + timedelta(hours=int(rng.integers(2, 48)))
        if verified >= now:
            problems.append((pid, "rectified", dispatched, due, None, rework))
            continue
        closed = verified + timedelta(hours=int(rng.integers(1, 24)))
        events.append((pid, verified, "核查通过", "rectified", "verified", "现场复查合格"))
        if closed >= now:
            problems.append((pid, "verified", dispatched, due, None, rework))
            continue
        events.append((pid, closed, "销号", "verified", "closed", None))
        problems.append((pid, "closed", dispatched, due, closed, rework))
    session.execute(text(
        "CREATE TEMP TABLE demo_state (id bigint, status text, dispatched_at timestamptz, due_at timestamptz, "
        "closed_at timestamptz, rework integer) ON COMMIT DROP"))
    session.execute(text("INSERT INTO demo_state VALUES (:id, :s, :d, :due, :c, :r)"),
                    [{"id": p[0], "s": p[1], "d": p[2], "due": p[3], "c": p[4], "r": p[5]} for p in problems])
    session.execute(text(load_sql(__file__, "problem_states_apply")))
    session.execute(text(
        "UPDATE problems p SET status = m.status, closed_at = m.closed_at FROM problems m "
        "WHERE p.duplicate_of = m.id AND m.status IN ('closed', 'rejected') AND p.external_id LIKE 'DEMO-%'"))
    # Re-inspections carry a photo, as 销号 requires (one shared demo image on disk).
    verified = sorted({e[0] for e in events if e[4] == "verified"})
    photos = dict(session.execute(text(load_sql(__file__, "problem_photos_insert")),
                                  {"ids": verified, "path": str(photo_path), "n": len(picture),
                                   "h": hashlib.sha256(picture).hexdigest()}).all())
    session.execute(
        text(load_sql(__file__, "problem_events_insert")),
        [{"p": e[0], "at": e[1], "a": e[2], "f": e[3], "t": e[4], "n": e[5],
          "photo": photos.get(e[0]) if e[4] == "verified" else None, "due": None} for e in events])
