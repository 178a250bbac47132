"""Published 通报 on the demo city: the Word document holds the period's 红黑榜 and exposures (with their photos) and
stays byte-identical while reports keep coming; a notice is frozen in the database; withdrawing and reissuing give
a new number; numbers per year have no gaps under concurrency; 红旗/黄旗 follow their rules."""

import threading
from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import docx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gis.db import transaction
from gis.errors import Conflict, Forbidden, InvalidInput
from gis.times import CITY_TZ
from layers.access.caller import SYSTEM
from layers.campaign import notice_flags, notice_service, notice_snapshot
from layers.campaign.notice_numbering import next_number
from layers.ledger import escalation, photos
from layers.ledger import intake as problems
from layers.rules import edit
from maps import notice_docx
from tests.conftest import scalar
from tests.images import photo

OFFICE = replace(SYSTEM, actor="user:9001 (创城办测试)", role="city_office")


def _spot(code="411421001001"):
    return tuple(scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM regions WHERE code = :c", c=code) for c in "XY")


def _exposed_report(at: datetime, seed: int) -> int:
    """A 媒体曝光 report (its source is an exposure in itself) with a photo, recorded by the ladder."""
    lon, lat = _spot()
    with transaction() as s:
        pid = problems.intake(s, problems.Report(category="乱贴乱画", source="media", lon=lon, lat=lat,
                                                 description=f"媒体曝光测试{seed}", reported_at=at), caller=SYSTEM)
        photos.attach(s, pid, photo(seed), caller=SYSTEM)
        escalation.run(s, actor="test")
    return pid


def _text(data: bytes) -> tuple[str, object]:
    d = docx.Document(BytesIO(data))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells), d


def _docx(notice_id: int) -> bytes:
    with transaction() as s:
        found = notice_service.get(s, notice_id, caller=OFFICE, with_snapshot=True)
        return notice_docx.render(found["snapshot"], notice_service.photos(s, notice_id, caller=OFFICE))


def test_the_docx_holds_the_boards_and_exposures_and_is_byte_identical_after_more_reports(demo):
    pid = _exposed_report(datetime(2026, 10, 12, 9, 30, tzinfo=CITY_TZ), seed=501)
    with transaction() as s:
        notice = notice_service.publish(s, caller=OFFICE, period="2026-B5")
    first = _docx(notice["id"])
    body, d = _text(first)
    with transaction() as s:
        snap = notice_service.get(s, notice["id"], caller=OFFICE, with_snapshot=True)["snapshot"]
    assert notice["number"] in body and "2026年第5双月（9—10月）" in body
    shown = [b for b in snap["boards"] if b["boards_shown"]]
    assert shown, "the demo's 社区 rank in 2026-B5"
    for b in shown:
        names = {r["key"]: r["name"] for r in b["rows"]}
        assert b["red"] and b["black"] and not set(b["red"]) & set(b["black"])  # never on both
        assert f"红榜：{'、'.join(names[k] for k in b['red'])}" in body
        assert f"黑榜：{'、'.join(names[k] for k in b['black'])}" in body
    assert "曝光台" in body and f"问题编号{pid}" in body and "媒体曝光测试501" in body
    item = next(i for i in snap["exposures"]["items"] if i["problem_id"] == pid)
    assert item["photos"], "its photo is in the notice"
    with transaction() as s:
        stored = notice_service.photos(s, notice["id"], caller=OFFICE)
    images = {r.target_part.blob for r in d.part.rels.values() if "image" in r.reltype}
    assert stored[item["photos"][0]] in images and len(d.inline_shapes) == len(stored)
    published = datetime.fromisoformat(snap["published_at"]).astimezone(UTC).replace(tzinfo=None)
    assert d.core_properties.created.replace(tzinfo=None) == published  # not the time it was rendered

    # More reports of the period, one more exposure, the exposed photo's file gone: the published notice does not
    # move, byte for byte.
    later = _exposed_report(datetime(2026, 10, 20, 15, 0, tzinfo=CITY_TZ), seed=502)
    original = Path(scalar("SELECT path FROM problem_photos WHERE problem_id = :p", p=pid))
    original.rename(original.with_suffix(".away"))
    try:
        assert _docx(notice["id"]) == first
    finally:
        original.with_suffix(".away").rename(original)
    with transaction() as s:
        again = notice_service.get(s, notice["id"], caller=OFFICE, with_snapshot=True)
        fresh, _ = notice_snapshot.take(s, period="2026-B5", scope=None, caller=OFFICE,
                                        at=s.execute(text("SELECT now()")).scalar_one())
    assert again["digest"] == notice["digest"] and again["snapshot"] == snap
    assert fresh["exposures"]["total"] == snap["exposures"]["total"] + 1  # the data did change
    assert later not in [i["problem_id"] for i in snap["exposures"]["items"]]


def test_the_docx_carries_the_periods_assessment_round_or_says_there_was_none(demo):
    with transaction() as s:
        quiet = notice_service.publish(s, caller=OFFICE, period="2026-W40")
        bimonth = notice_service.publish(s, caller=OFFICE, period="2026-B5", scope="411421001")
        round_name, rate = s.execute(text(
            "SELECT a.name, round(100.0 * sum(r.weight) FILTER (WHERE r.passed) / sum(r.weight), 1) "
            "FROM assessment_rounds a JOIN assessment_round_visits v ON v.round_id = a.id "
            "JOIN assessment_points p ON p.id = v.point_id AND p.region_code LIKE '411421001%' "
            "JOIN inspection_results r ON r.visit_id = v.visit_id "
            "WHERE a.period = '2026-B5' AND a.state = 'closed' GROUP BY a.id ORDER BY a.id DESC LIMIT 1")).one()
    body, _ = _text(_docx(quiet["id"]))
    assert "测评结果" in body and "本期无测评" in body
    body, doc = _text(_docx(bimonth["id"]))
    assert "本期无测评" not in body and round_name in body and f"得分率（%）：{float(rate):g}" in body
    tables = ["\n".join(c.text for row in t.rows for c in row.cells) for t in doc.tables]
    assert any("城关街道" in t and "得分率（%）" in t for t in tables)  # the 街道's own rate


def test_a_published_notice_cannot_change_in_the_database(demo):
    with transaction() as s:
        notice = notice_service.publish(s, caller=OFFICE, period="2026-W41")
    for sql in ("UPDATE notices SET snapshot = '{}' WHERE id = :i", "UPDATE notices SET title = 'x' WHERE id = :i",
                "UPDATE notice_photos SET jpeg = '' WHERE notice_id = :i"):
        try:
            with transaction() as s:
                n = s.execute(text(sql), {"i": notice["id"]}).rowcount
        except DBAPIError as exc:
            assert "cannot change" in str(exc.orig)
        else:
            assert n == 0  # no photos to change
    with transaction() as s:
        assert notice_service.get(s, notice["id"], caller=OFFICE)["digest"] == notice["digest"]


def test_withdraw_and_reissue_under_a_new_number_audited(demo):
    with transaction() as s:
        first = notice_service.publish(s, caller=OFFICE, period="2026-W42", title="第42周通报")
    with pytest.raises(Conflict, match="in force"), transaction() as s:
        notice_service.publish(s, caller=OFFICE, period="2026-W42")
    with pytest.raises(InvalidInput), transaction() as s:
        notice_service.withdraw(s, first["id"], caller=OFFICE, reason="  ")
    with transaction() as s:
        old = notice_service.withdraw(s, first["id"], caller=OFFICE, reason="曝光问题归属有误", reissue=True)
    assert old["state"] == "withdrawn" and old["withdraw_reason"] == "曝光问题归属有误"
    with transaction() as s:
        new = notice_service.get(s, old["replaced_by"], caller=OFFICE, with_snapshot=True)
    assert new["state"] == "published" and new["replaces"] == first["id"] and new["title"] == "第42周通报"
    assert new["number"] != first["number"] and new["snapshot"]["replaces"] == first["number"]
    seq = scalar("SELECT seq FROM notices WHERE id = :i", i=first["id"])
    assert scalar("SELECT seq FROM notices WHERE id = :i", i=new["id"]) > seq
    actions = scalar("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE entity = 'notices' "
                     "AND entity_id IN (:a, :b)", a=str(first["id"]), b=str(new["id"]))
    assert actions == "notice_publish,notice_publish,notice_withdraw"
    with pytest.raises(Conflict, match="withdrawn already"), transaction() as s:
        notice_service.withdraw(s, first["id"], caller=OFFICE, reason="再撤一次")


def test_who_may_publish_and_what(demo):
    with pytest.raises(Forbidden), transaction() as s:
        notice_service.publish(s, caller=replace(SYSTEM, permissions=frozenset({"read"})), period="2026-W43")
    with pytest.raises(Forbidden), transaction() as s:  # a scoped office publishes inside its region only
        notice_service.publish(s, caller=replace(OFFICE, scope="411421002"), period="2026-W43", scope="411421001")
    with pytest.raises(InvalidInput, match="has not begun"), transaction() as s:
        notice_service.publish(s, caller=OFFICE, period="2099-W01")
    with pytest.raises(InvalidInput) as info, transaction() as s:
        notice_service.publish(s, caller=OFFICE, period="2026-B7")
    assert info.value.field == "period"


def test_numbers_count_on_per_year_without_gaps_under_concurrency(database):
    barrier, taken, errors = threading.Barrier(8), [], []

    def take(fail: bool) -> None:
        try:
            with transaction() as s:
                barrier.wait(10)
                n = next_number(s, "dispatch", 2099)
                if fail:
                    raise RuntimeError("the document failed after taking its number")
                taken.append(n.seq)
        except RuntimeError:
            pass
        except Exception as exc:  # pragma: no cover - would fail the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(i in (2, 5),)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sorted(taken) == [1, 2, 3, 4, 5, 6]  # the two rolled back gave their numbers back
    assert scalar("SELECT last FROM document_numbers WHERE kind = 'dispatch' AND year = 2099") == 6
    with transaction() as s:
        assert next_number(s, "dispatch", 2098).text == "创城交〔2098〕第1号"


def test_flags_follow_their_rules():
    red = {"flag": "red", "name": "红旗", "level": None, "min_on_time_rate": 95.0, "max_accountability": 0}
    yellow = {"flag": "yellow", "name": "黄旗", "level": None, "board": "black"}
    yellow_rate = {"flag": "yellow", "name": "超期", "level": "community", "min_overdue_rate": 20.0}
    rows = [
        {"key": "a", "name": "甲", "ranked": True, "board": "red", "on_time_rate": 0.95, "overdue_rate": 0.0,
         "accountability": 0},
        {"key": "b", "name": "乙", "ranked": True, "board": None, "on_time_rate": 0.99, "overdue_rate": 0.0,
         "accountability": 1},
        {"key": "c", "name": "丙", "ranked": True, "board": "black", "on_time_rate": 0.96, "overdue_rate": 0.25,
         "accountability": 0},
        {"key": "d", "name": "丁", "ranked": False, "board": None, "on_time_rate": 1.0, "overdue_rate": 0.5,
         "accountability": 0},
        {"key": "e", "name": "戊", "ranked": True, "board": None, "on_time_rate": None, "overdue_rate": 0.3,
         "accountability": 0},
    ]
    boards = [{"level": "community", "level_name": "社区", "rows": rows},
              {"level": "subdistrict", "level_name": "街道", "rows": [dict(rows[4], key="f")]}]
    got = {(f["level"], f["key"]): (f["flag"], f["rules"]) for f in notice_flags.award(boards, [red, yellow,
                                                                                                yellow_rate])}
    assert got == {("community", "a"): ("red", ["红旗"]),  # 95.0% is at least 95%
                   ("community", "c"): ("yellow", ["黄旗", "超期"]),  # on the 黑榜: no 红旗 despite 96%
                   ("community", "e"): ("yellow", ["超期"])}  # b: a 问责; d: not ranked; f: the rule is 社区's
    assert notice_flags.describe(red) == "按期结案率≥95%、无问责"


def test_flag_rules_are_edited_as_rule_tables(demo):
    with pytest.raises(InvalidInput, match="at least one condition"), transaction() as s:
        edit.create(s, "flag_rules", {"flag": "red", "name": "空规则"}, caller=SYSTEM)
    with transaction() as s:
        row = edit.create(s, "flag_rules", {"flag": "red", "name": "结案率满分", "min_closure_rate": 100,
                                            "level": "community"}, caller=SYSTEM)
        rules = notice_flags.active_rules(s)
        edit.delete(s, "flag_rules", str(row["id"]), caller=SYSTEM)
    assert {"结案率满分", "按期结案率≥95%且无问责"} <= {r["name"] for r in rules}


def test_the_negative_list_names_who_was_on_the_black_list_twice_in_a_row_as_published(demo):
    from layers.campaign import negative_list

    with transaction() as s:
        first = notice_service.publish(s, caller=OFFICE, period="2026-08", scope="411421",
                                       levels=["community", "owner"])
        second = notice_service.publish(s, caller=OFFICE, period="2026-09", scope="411421",
                                        levels=["community", "owner"])
        snaps = [notice_service.get(s, n["id"], caller=OFFICE, with_snapshot=True)["snapshot"]
                 for n in (first, second)]
    black = [{(b["level"], k) for b in snap["boards"] for k in b["black"]} for snap in snaps]
    twice = {key for _, key in black[0] & black[1]}
    assert twice, "the demo has communities and owners on the 黑榜 of both months"
    with transaction() as s:
        rows = {r["key"]: r for r in negative_list.listing(s, caller=OFFICE, period="2026-09")["rows"]}
        august = negative_list.listing(s, caller=OFFICE, period="2026-08")["rows"]
    for key in twice:
        assert any("连续两期" in why for why in rows[key]["reasons"]), rows.get(key)
        assert first["number"] in rows[key]["basis"] and second["number"] in rows[key]["basis"]
    # July has no 通报 of this scope: in August nothing is twice in a row yet.
    assert not any("连续两期" in why for r in august for why in r["reasons"])
    # Only notices in force count: withdrawn, September's no longer names anyone.
    with transaction() as s:
        notice_service.withdraw(s, second["id"], caller=OFFICE, reason="测试撤回")
        after = {r["key"]: r for r in negative_list.listing(s, caller=OFFICE, period="2026-09")["rows"]}
    assert not any("连续两期" in why for key in twice if key in after for why in after[key]["reasons"])
