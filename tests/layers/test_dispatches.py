"""交办单 on the demo city: the 对账 counts equal a hand count of the problems' states as they move through the
lifecycle, the sheet closes when every item is 销号 (computed, not set), replies are the recipient's or their region
staff's, and the returned Excel's replies import once (previewed, refused rows named)."""

from dataclasses import replace
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import text

from gis.db import transaction
from gis.errors import Forbidden, InvalidInput, NotFound
from layers.access.caller import SYSTEM
from layers.campaign import dispatch_excel, dispatch_service
from layers.ledger import intake as problems
from layers.ledger import lifecycle, photos
from layers.ledger.listing import ProblemQuery
from layers.spatial.writer import RowsRejected
from tests.conftest import scalar
from tests.images import as_role, photo

OFFICE = replace(SYSTEM, actor="user:9002 (创城办测试)", role="city_office")
HERE = "411421001"


_SPOTS = iter(range(100))


def _new_problem() -> int:
    """A new problem, dispatched, each ~100 m from the others (not a duplicate of any)."""
    n = next(_SPOTS)
    lon, lat = (scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM regions WHERE code = '411421001001'")
                for c in "XY")
    with transaction() as s:
        pid = problems.intake(s, problems.Report(category="占道经营", source="patrol", lon=lon + 0.001 * (n % 4),
                                                 lat=lat + 0.001 * (n // 4)), caller=SYSTEM)
        for action in ("立案", "派遣"):
            lifecycle.transition(s, pid, action, caller=as_role("admin"))
    return pid


def _walk(pid: int, *actions: str) -> None:
    """Move a problem on: 签收整改, 整改完成 (with a photo), 核查通过 (a new photo, another account), 销号."""
    with transaction() as s:
        for action in actions:
            kw = {}
            if action in ("整改完成", "核查通过"):
                actor = "fixer" if action == "整改完成" else "verifier"
                kw["photo_id"] = photos.attach(s, pid, photo(pid * 10 + len(action) + (action == "核查通过")),
                                               caller=as_role("admin", actor))["id"]
            lifecycle.transition(s, pid, action, caller=as_role("admin", "verifier" if action != "整改完成"
                                                                else "fixer"), **kw)


def _hand_count(sheet_id: int) -> dict[str, int]:
    """The 对账 of a sheet counted here from the problems and replies, not by the service's SQL."""
    with transaction() as s:
        rows = s.execute(text("""
            SELECT p.status, i.deadline, (SELECT min(replied_at) FROM dispatch_replies r WHERE r.item_id = i.id)
            FROM dispatch_items i JOIN problems p ON p.id = i.problem_id WHERE i.sheet_id = :s"""),
                         {"s": sheet_id}).all()
        now = s.execute(text("SELECT now()")).scalar_one()
    out = {"closed": 0, "archived": 0, "overdue": 0, "replied": 0, "open": 0}
    for status, deadline, first_reply in rows:
        if status in ("verified", "closed", "rejected"):
            out["closed"] += 1
        elif deadline is not None and deadline < now and (first_reply is None or first_reply > deadline):
            out["overdue"] += 1
        elif first_reply is not None:
            out["replied"] += 1
        else:
            out["open"] += 1
    return out


@pytest.fixture(scope="module")
def recipient(demo):
    return scalar("SELECT min(id) FROM people WHERE region_code LIKE '411421001%' AND active")


@pytest.fixture(scope="module")
def late(demo):
    """Two demo problems in 411421001 still with their owners and past their deadline."""
    with transaction() as s:
        return list(s.execute(text("SELECT id FROM problems WHERE status = 'in_progress' AND due_at < now() "
                                   "AND region_code LIKE '411421001%' AND duplicate_of IS NULL ORDER BY id LIMIT 2"))
                    .scalars())


def test_reconciliation_counts_match_the_problems_and_the_sheet_closes_itself(recipient, late):
    fresh = [_new_problem() for _ in range(4)]
    with transaction() as s:
        sheet = dispatch_service.create(s, caller=OFFICE, person_id=recipient, problem_ids=fresh + late,
                                        note="请于期限内整改到位")
    assert sheet["number"].startswith("创城交〔") and sheet["total"] == 6 and sheet["state"] == "open"
    items = {i["problem_id"]: i for i in sheet["items"]}
    assert {i["problem_id"] for i in sheet["items"][:2]} == set(late)  # overdue first
    with transaction() as s:
        dispatch_service.reply(s, sheet["id"], items[fresh[2]]["id"], "已组织清理，待核查", caller=OFFICE)
        dispatch_service.reply(s, sheet["id"], items[late[1]]["id"], "超期后才整改", caller=OFFICE)
    _walk(fresh[0], "签收整改", "整改完成", "核查通过")
    _walk(fresh[1], "签收整改", "整改完成", "核查通过", "销号")
    with transaction() as s:
        now = dispatch_service.get(s, sheet["id"], caller=OFFICE)
    assert now["counts"] == _hand_count(sheet["id"]) == {"closed": 2, "archived": 0, "overdue": 2, "replied": 1,
                                                         "open": 1}
    states = {i["problem_id"]: i["state"] for i in now["items"]}
    assert [states[p] for p in fresh + late] == ["closed", "closed", "replied", "open", "overdue", "overdue"]
    assert now["state"] == "open" and now["closed_at"] is None

    for pid in fresh[2:]:
        _walk(pid, "签收整改", "整改完成", "核查通过")
    for pid in late:
        _walk(pid, "整改完成", "核查通过")
    with transaction() as s:
        done = dispatch_service.get(s, sheet["id"], caller=OFFICE)
    assert done["counts"] == _hand_count(sheet["id"]) and done["done"] == done["total"] == 6
    assert done["state"] == "closed" and done["state_name"] == "已销号" and done["closed_at"] is not None
    with pytest.raises(InvalidInput, match="nothing to reply"), transaction() as s:
        dispatch_service.reply(s, sheet["id"], items[fresh[3]]["id"], "再回复", caller=OFFICE)


def test_who_replies_and_a_repeated_reply_is_one(recipient):
    pid = _new_problem()
    with transaction() as s:
        sheet = dispatch_service.create(s, caller=OFFICE, person_id=recipient, problem_ids=[pid])
    item = sheet["items"][0]["id"]
    own = replace(SYSTEM, actor="user:9003 (责任人)", role="street_chief", scope="411421002",
                  permissions=frozenset({"read", "report", "handle_problems"}))
    other = replace(own, actor="user:9004 (别人)", scope=HERE)
    staff = replace(SYSTEM, actor="user:9005 (街道)", role="subdistrict_staff", scope=HERE,
                    permissions=frozenset({"read", "report", "handle_problems", "manage_people"}))
    elsewhere = replace(staff, scope="411421002")
    with transaction() as s:  # the recipient's own account, even from another region
        dispatch_service.reply(s, sheet["id"], item, "已整改", caller=own, person_id=recipient)
        dispatch_service.reply(s, sheet["id"], item, "已整改", caller=own, person_id=recipient)
        dispatch_service.reply(s, sheet["id"], item, "已整改，附照片", caller=staff)
    with pytest.raises(Forbidden), transaction() as s:
        dispatch_service.reply(s, sheet["id"], item, "代答", caller=other, person_id=recipient + 1)
    with pytest.raises(NotFound), transaction() as s:
        dispatch_service.reply(s, sheet["id"], item, "代答", caller=elsewhere)
    assert scalar("SELECT string_agg(reply, '|' ORDER BY id) FROM dispatch_replies WHERE item_id = :i",
                  i=item) == "已整改|已整改，附照片"
    assert scalar("SELECT count(*) FROM audit_log WHERE action = 'dispatch_reply' AND entity_id = :i",
                  i=str(sheet["id"])) == 2


def _filled(sheet: dict, replies: dict[int, str], extra: list | None = None) -> bytes:
    wb = load_workbook(BytesIO(dispatch_excel.xlsx(sheet)))
    ws = wb.worksheets[0]
    out = Workbook()
    new = out.active
    for n, row in enumerate(ws.iter_rows(values_only=True)):
        row = list(row)
        if n and row[1] in replies:
            row[8] = replies[row[1]]
        new.append(row)
    for row in extra or []:
        new.append(row)
    buf = BytesIO()
    out.save(buf)
    return buf.getvalue()


def test_the_returned_excel_is_previewed_and_imported_once(recipient, tmp_path):
    pids = [_new_problem() for _ in range(3)]
    with transaction() as s:
        sheet = dispatch_service.create(s, caller=OFFICE, person_id=recipient, problem_ids=pids)
    path = Path(tmp_path) / "回执.xlsx"
    path.write_bytes(_filled(sheet, {pids[0]: "已清理", pids[2]: "已劝离"}, extra=[[9, 999999999, "", "", "", "", "",
                                                                                    "", "不在单上"]]))
    count = "SELECT count(*) FROM dispatch_replies r JOIN dispatch_items i ON i.id = r.item_id WHERE i.sheet_id = :s"
    with transaction() as s:
        preview = dispatch_excel.import_replies(s, sheet["id"], path, caller=OFFICE, dry_run=True)
    assert (preview.replied, preview.empty, [r.row for r in preview.rejected]) == (2, 1, [4])
    assert preview.rejected[0].field == "problem_id" and scalar(count, s=sheet["id"]) == 0
    with pytest.raises(RowsRejected), transaction() as s:
        dispatch_excel.import_replies(s, sheet["id"], path, caller=OFFICE)
    assert scalar(count, s=sheet["id"]) == 0
    with transaction() as s:
        done = dispatch_excel.import_replies(s, sheet["id"], path, caller=OFFICE, skip_invalid=True)
        again = dispatch_excel.import_replies(s, sheet["id"], path, caller=OFFICE, skip_invalid=True)
    assert (done.replied, again.replied, again.unchanged) == (2, 0, 2)
    assert scalar(count, s=sheet["id"]) == 2
    assert scalar("SELECT string_agg(DISTINCT via, ',') FROM dispatch_replies r JOIN dispatch_items i "
                  "ON i.id = r.item_id WHERE i.sheet_id = :s", s=sheet["id"]) == "excel"


def test_sheets_from_a_supervision_sheet_and_from_a_ledger_filter(demo):
    busy = scalar("""SELECT a.person_id FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id
                     JOIN problems p ON p.id = po.problem_id WHERE a.person_id IS NOT NULL
                       AND p.status NOT IN ('closed', 'rejected') AND p.duplicate_of IS NULL
                     GROUP BY a.person_id ORDER BY count(*) DESC, a.person_id LIMIT 1""")
    with transaction() as s:
        from_sheet = dispatch_service.create(s, caller=OFFICE, person_id=busy)
        open_ids = set(s.execute(text("""
            SELECT DISTINCT p.id FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id
            JOIN problems p ON p.id = po.problem_id AND p.reported_at = po.problem_reported_at
            WHERE a.person_id = :r AND p.duplicate_of IS NULL AND p.status NOT IN ('closed', 'rejected')"""),
                                 {"r": busy}).scalars())
        filtered = dispatch_service.create(
            s, caller=OFFICE, unit_id=scalar("SELECT min(id) FROM units WHERE kind = 'department'"),
            query=ProblemQuery(overdue=True, scope=HERE, duplicates=False), query_text="overdue=true&region=411421001",
            deadline=(datetime.now() + timedelta(days=7)).date())
    assert {i["problem_id"] for i in from_sheet["items"]} == open_ids and from_sheet["source"] == "supervision"
    assert filtered["source"] == "filter" and filtered["items"]
    rows = scalar("SELECT bool_and(p.region_code LIKE '411421001%' AND p.due_at < now()) FROM dispatch_items i "
                  "JOIN problems p ON p.id = i.problem_id WHERE i.sheet_id = :s", s=filtered["id"])
    assert rows and all(i["deadline"] == filtered["deadline"] for i in filtered["items"])
    assert filtered["source_query"] == {"problem_query": "overdue=true&region=411421001"}


def test_what_a_sheet_refuses(recipient):
    closed = scalar("SELECT min(id) FROM problems WHERE status = 'closed' AND region_code LIKE '411421001%'")
    elsewhere = scalar("SELECT min(id) FROM problems WHERE status = 'in_progress' AND region_code LIKE '411421002%'")
    scoped = replace(OFFICE, scope=HERE)
    for caller, kw, field in ((OFFICE, {"problem_ids": [closed]}, "problem_ids"),
                              (scoped, {"problem_ids": [elsewhere]}, "problem_ids"),
                              (OFFICE, {"problem_ids": [closed], "deadline": datetime(2020, 1, 1).date()}, "deadline"),
                              (OFFICE, {"unit_id": 1, "problem_ids": [elsewhere]}, "person_id")):
        with pytest.raises(InvalidInput) as info, transaction() as s:
            dispatch_service.create(s, caller=caller, **({"person_id": recipient} | kw))
        assert info.value.field == field, (kw, info.value)
    with pytest.raises(Forbidden), transaction() as s:
        dispatch_service.create(s, caller=replace(OFFICE, permissions=frozenset({"read", "handle_problems"})),
                                person_id=recipient, problem_ids=[elsewhere])
