"""测评 rounds: the sample is reproducible for a seed, respects the per-type quotas and the 街道 strata, and always
holds the named, 易失分 and last-round-failed points; the score rates of a crafted round equal a hand count at every
level; visits count for a round only while it is in progress and only for its sampled points."""

from datetime import datetime

import pytest
from shapely.geometry import Point, box
from sqlalchemy import text

from gis.db import transaction
from gis.errors import Conflict, Forbidden, InvalidInput
from layers.access.caller import Caller
from layers.campaign import round_assign, round_results, round_visits, round_weak, rounds, sampling
from layers.campaign.rounds import Quota
from layers.campaign.sampling import Candidate, allocate, draw, quota_of
from layers.ledger.calendar import TZ
from tests.conftest import scalar
from tests.crafted import put

OFFICE = Caller(actor="test office", permissions=frozenset({"read", "run_rounds", "handle_problems"}), role="admin")
TOILET, MARKET = "公共厕所", "农贸市场"  # checklists T1 3 + T2 3, and M1 4 + M2 3 + M3 2 + M4 1


def campaign_town(district: str, lon: float, lat: float) -> dict:
    """Two 街道 side by side: 001 (west) with two 社区 — 001001 holding toilets a1–a3 and market m1, 001002 holding
    a4–a6 and m2 — and 002 (east) with one 社区 holding toilets b1–b3 and market n1."""
    w, h = 0.04, 0.02
    put("regions", [
        ({"code": district, "name": f"测评测试区{district}"}, box(lon, lat, lon + w, lat + h)),
        ({"code": district + "001", "name": "西街道"}, box(lon, lat, lon + w / 2, lat + h)),
        ({"code": district + "002", "name": "东街道"}, box(lon + w / 2, lat, lon + w, lat + h)),
        ({"code": district + "001001", "name": "西一社区"}, box(lon, lat, lon + w / 4, lat + h)),
        ({"code": district + "001002", "name": "西二社区"}, box(lon + w / 4, lat, lon + w / 2, lat + h)),
        ({"code": district + "002001", "name": "东一社区"}, box(lon + w / 2, lat, lon + w, lat + h)),
    ])
    spots = {"a1": (0.002, 0.004), "a2": (0.004, 0.008), "a3": (0.006, 0.012), "m1": (0.008, 0.016),
             "a4": (0.012, 0.004), "a5": (0.014, 0.008), "a6": (0.016, 0.012), "m2": (0.018, 0.016),
             "b1": (0.024, 0.004), "b2": (0.028, 0.008), "b3": (0.032, 0.012), "n1": (0.036, 0.016)}
    put("assessment_points", [
        ({"code": f"{district}-{k}", "name": f"测评点{k}", "point_type": MARKET if k[0] in "mn" else TOILET},
         Point(lon + dx, lat + dy)) for k, (dx, dy) in spots.items()])
    with transaction() as s:
        ids = {r.code.split("-")[1]: r.id for r in s.execute(text(
            "SELECT code, id FROM assessment_points WHERE code LIKE :d || '-%'"), {"d": district})}
    return {"district": district, "west": district + "001", "east": district + "002", "ids": ids}


@pytest.fixture(scope="module")
def town(database):
    with transaction() as s:
        weights = dict(s.execute(text("SELECT point_type || ':' || code, weight::int FROM checklist_items "
                                      "WHERE point_type IN (:t, :m) AND active"), {"t": TOILET, "m": MARKET}).all())
    # The hand counts below are of these checklists.
    assert weights == {f"{TOILET}:T1": 3, f"{TOILET}:T2": 3, f"{MARKET}:M1": 4, f"{MARKET}:M2": 3,
                       f"{MARKET}:M3": 2, f"{MARKET}:M4": 1}
    return campaign_town("419991", 114.10, 35.00)


def _round(town, period="2026-B6", kind="mock_assessment", quotas=None, **kw):
    with transaction() as s:
        return rounds.create(s, OFFICE, name=f"测试{period}", kind=kind, period=period, scope=town["district"],
                             quotas=quotas or [Quota(TOILET, count=6), Quota(MARKET, share=0.5)], **kw)


def _sample(round_id, seed=None):
    with transaction() as s:
        out = sampling.sample(s, OFFICE, round_id, seed=seed)
        rows = s.execute(text("SELECT point_id, reason FROM assessment_round_points WHERE round_id = :r"),
                         {"r": round_id}).all()
    return out, dict(rows)


def _by(town, sample, *, where):
    names = {v: k for k, v in town["ids"].items()}
    return sorted(names[p] for p in sample if names[p][0] in where)


# --- the pure parts -------------------------------------------------------------------------------------------

def test_quota_of_counts_and_shares():
    assert quota_of(Quota("x", count=5), 3) == 3  # never more than there are
    assert quota_of(Quota("x", share=0.5), 3) == 2  # 1.5 rounds half up
    assert quota_of(Quota("x", share=0.01), 7) == 1  # at least one when the type has any
    assert quota_of(Quota("x", share=0.3), 0) == 0 and quota_of(None, 9) == 0


def test_allocation_is_proportional_with_forced_points_and_seeded_ties():
    assert allocate(4, {"A": (10, 0), "B": (5, 0), "C": (5, 0)}, seed=1, point_type="t") == {"A": 2, "B": 1, "C": 1}
    # 3 of 9 (6 west, 3 east): 2 and 1; two forced in the east leave the west one.
    assert allocate(3, {"W": (6, 0), "E": (3, 2)}, seed=1, point_type="t") == {"W": 1, "E": 2}
    # More forced than the quota: all of them, nothing else.
    assert allocate(1, {"W": (6, 2), "E": (3, 1)}, seed=1, point_type="t") == {"W": 2, "E": 1}
    # A tie (one point for two equal 街道) goes by the seed, the same way every time.
    ties = {seed: allocate(1, {"W": (1, 0), "E": (1, 0)}, seed=seed, point_type="t") for seed in range(20)}
    assert all(sum(t.values()) == 1 for t in ties.values()) and len({tuple(t.items()) for t in ties.values()}) == 2
    assert ties[3] == allocate(1, {"W": (1, 0), "E": (1, 0)}, seed=3, point_type="t")


def test_draw_takes_the_seeded_order_inside_each_stratum():
    cands = [Candidate(i, "t", None, "W" if i < 6 else "E", key, None)
             for i, key in enumerate("fbdace" + "zyx")]
    chosen, summary = draw(cands, {"t": Quota("t", count=3)}, seed=0)
    assert sorted(c.id for c, _ in chosen) == [1, 3, 8]  # W: keys a, b; E: key x
    assert summary == [{"point_type": "t", "count": 3, "share": None, "available": 9, "quota": 3, "forced": 0,
                        "sampled": 3, "over_quota": 0}]


# --- sampling in the database -------------------------------------------------------------------------------

def test_the_sample_is_reproducible_for_a_seed_and_keeps_the_quotas_per_street(town):
    r = _round(town)
    out, first = _sample(r["id"], seed=7)
    assert out["seed"] == 7 and out["sampled"] == 8
    # 6 of 9 toilets: 4 of the west's 6, 2 of the east's 3; half of 3 markets is 2: one in each 街道.
    assert len(_by(town, first, where="a")) == 4 and len(_by(town, first, where="b")) == 2
    assert len(_by(town, first, where="m")) == 1 and len(_by(town, first, where="n")) == 1
    assert set(first.values()) == {"quota"}
    _, again = _sample(r["id"], seed=7)
    assert again == first
    other = _round(town)  # another round, the same points, the same seed: the same sample
    _, same = _sample(other["id"], seed=7)
    assert same == first
    samples = {tuple(sorted(_sample(other["id"], seed=seed)[1])) for seed in range(1, 9)}
    assert len(samples) > 1  # the seed does choose
    assert scalar("SELECT seed FROM assessment_rounds WHERE id = :r", r=other["id"]) == 8
    with transaction() as s:  # no seed given: the stored one
        assert sampling.sample(s, OFFICE, other["id"])["seed"] == 8
        rounds.delete(s, OFFICE, other["id"])
        rounds.delete(s, OFFICE, r["id"])


def test_always_in_points_count_in_their_quota(town):
    ids = town["ids"]
    with transaction() as s:
        round_weak.flag(s, OFFICE, ids["b1"], kind="relapse", note="整改后反弹")
    r = _round(town, quotas=[Quota(TOILET, count=3)], always_include=[ids["b2"]])
    out, got = _sample(r["id"], seed=11)
    assert got[ids["b1"]] == "weak" and got[ids["b2"]] == "listed"
    # 3 toilets: the west's share is 2, but the two always-in ones of the east leave it one.
    assert len(_by(town, got, where="a")) == 1 and len(_by(town, got, where="b")) == 2
    assert out["by_type"] == [{"point_type": TOILET, "count": 3, "share": None, "available": 9, "quota": 3,
                               "forced": 2, "sampled": 3, "over_quota": 0}]
    assert not _by(town, got, where="mn")  # no quota for markets, none always in
    no_weak = _round(town, quotas=[Quota(TOILET, count=3)], include_weak=False)
    _, plain = _sample(no_weak["id"], seed=11)
    assert ids["b1"] not in plain or plain[ids["b1"]] == "quota"
    with transaction() as s:
        round_weak.unflag(s, OFFICE, ids["b1"])
        for rid in (r["id"], no_weak["id"]):
            rounds.delete(s, OFFICE, rid)


def _visit(round_id, point, results, at, notes=None):
    with transaction() as s:
        return round_visits.visit(s, point_id=point, round_id=round_id, inspector="测评员", results=results,
                                  notes=notes, visited_at=at, caller=OFFICE)


T = {"ok": {"T1": True, "T2": True}, "t1": {"T1": False, "T2": True}, "t2": {"T1": True, "T2": False},
     "none": {"T1": False, "T2": False}}


def test_score_rates_equal_a_hand_count(town):
    ids = town["ids"]
    # The previous closed round of the same kind and scope: a1 passed all (6/6), a3 failed T1 (3/6): 75 %.
    before = _round(town, period="2026-B5", quotas=[Quota(TOILET, count=9)])
    _sample(before["id"], seed=1)
    with transaction() as s:
        rounds.start(s, OFFICE, before["id"])
    _visit(before["id"], ids["a1"], T["ok"], datetime(2026, 9, 10, 10, tzinfo=TZ))
    _visit(before["id"], ids["a3"], T["t1"], datetime(2026, 9, 10, 11, tzinfo=TZ))
    with transaction() as s:
        rounds.close(s, OFFICE, before["id"])

    r = _round(town, quotas=[Quota(TOILET, count=9), Quota(MARKET, count=3)])
    out, got = _sample(r["id"], seed=5)
    assert out["previous_round_id"] == before["id"] and got[ids["a3"]] == "failed_previous" and len(got) == 12
    with pytest.raises(Conflict):  # not started yet: nothing counts
        _visit(r["id"], ids["a1"], T["ok"], datetime(2026, 11, 3, 9, tzinfo=TZ))
    with transaction() as s:
        rounds.start(s, OFFICE, r["id"])
    day = datetime(2026, 11, 3, 9, tzinfo=TZ)
    _visit(r["id"], ids["a1"], T["t2"], day)                                      # 3 / 6
    _visit(r["id"], ids["a2"], T["ok"], day)                                      # 6 / 6
    _visit(r["id"], ids["a3"], T["none"], day, notes={"T1": "门锁坏了"})             # 0 / 6
    _visit(r["id"], ids["m1"], {"M1": False, "M2": True, "M3": True, "M4": True}, day)   # 6 / 10
    _visit(r["id"], ids["m2"], {"M1": True, "M2": True, "M3": True, "M4": True}, day)    # 10 / 10
    _visit(r["id"], ids["b1"], T["ok"], day)                                      # 6 / 6
    _visit(r["id"], ids["b2"], T["none"], day)                                    # replaced by the next visit
    _visit(r["id"], ids["b2"], T["t1"], datetime(2026, 11, 4, 9, tzinfo=TZ))     # 3 / 6
    _visit(r["id"], ids["n1"], {"M1": True, "M2": False, "M3": False, "M4": True}, day)  # 5 / 10
    with transaction() as s:
        res = round_results.results(s, OFFICE, r["id"])

    def rate(level, key):
        (row,) = [x for x in res[level] if x["key"] == key]
        return row["passed_weight"], row["total_weight"], row["score_rate"]

    c = res["city"]
    assert (c["passed_weight"], c["total_weight"], c["score_rate"]) == (39, 60, 65.0)
    assert c["previous_score_rate"] == 75.0 and c["change"] == -10.0
    assert res["previous"]["id"] == before["id"]
    assert rate("subdistricts", town["west"]) == (25, 38, 65.8)   # 9/18 toilets + 16/20 markets
    assert rate("subdistricts", town["east"]) == (14, 22, 63.6)   # 9/12 + 5/10
    assert rate("communities", town["west"] + "001") == (15, 28, 53.6)  # a1 a2 a3 m1
    assert rate("communities", town["west"] + "002") == (10, 10, 100.0)  # m2
    assert rate("point_types", TOILET) == (18, 30, 60.0) and rate("point_types", MARKET) == (21, 30, 70.0)
    assert rate("points", str(ids["a1"])) == (3, 6, 50.0) and rate("points", str(ids["b2"])) == (3, 6, 50.0)
    items = {(x["parent"], x["code"]): (x["passed_weight"], x["total_weight"], x["score_rate"]) for x in res["items"]}
    assert items == {(TOILET, "T1"): (9, 15, 60.0), (TOILET, "T2"): (9, 15, 60.0), (MARKET, "M1"): (8, 12, 66.7),
                     (MARKET, "M2"): (6, 9, 66.7), (MARKET, "M3"): (4, 6, 66.7), (MARKET, "M4"): (3, 3, 100.0)}
    # The point a1 was 100 % last round and is 50 % now.
    (a1,) = [x for x in res["points"] if x["key"] == str(ids["a1"])]
    assert (a1["previous_score_rate"], a1["change"]) == (100.0, -50.0)

    names = {v: k for k, v in ids.items()}
    lost = sorted((names[x["point_id"]], x["item_code"]) for x in res["lost_items"])
    assert lost == [("a1", "T2"), ("a3", "T1"), ("a3", "T2"), ("b2", "T1"), ("m1", "M1"), ("n1", "M2"),
                    ("n1", "M3")]
    assert all(x["problem_id"] for x in res["lost_items"])
    assert [x["note"] for x in res["lost_items"] if names[x["point_id"]] == "a3" and x["item_code"] == "T1"] == \
        ["门锁坏了"]
    sources = scalar("SELECT array_agg(DISTINCT source) FROM problems WHERE id = ANY(:p)",
                     p=[x["problem_id"] for x in res["lost_items"]])
    assert sources == ["mock_assessment"]  # the round's kind
    cov = res["coverage"]
    assert (cov["sampled"], cov["visited"], cov["coverage"]) == (12, 8, 66.7)
    assert {x["subdistrict_code"]: (x["visited"], x["sampled"]) for x in cov["subdistricts"]} == {
        town["west"]: (5, 8), town["east"]: (3, 4)}

    # A 街道's staff sees the round, and in it their 街道 only.
    east = Caller(actor="east staff", scope=town["east"], permissions=frozenset({"read"}))
    with transaction() as s:
        mine = round_results.results(s, east, r["id"])
        summary = rounds.current_round_summary(s, town["east"])
    assert (mine["city"]["passed_weight"], mine["city"]["total_weight"]) == (14, 22)
    assert [x["key"] for x in mine["subdistricts"]] == [town["east"]]
    assert summary["id"] == r["id"] and (summary["visited"], summary["sampled"], summary["score_rate"]) == (3, 4, 63.6)
    with transaction() as s:
        rounds.close(s, OFFICE, r["id"])
        assert rounds.current_round_summary(s, town["district"])["state"] == "closed"
    with pytest.raises(Conflict):  # closed: its results stand
        _visit(r["id"], ids["a4"], T["ok"], datetime(2026, 11, 5, 9, tzinfo=TZ))


def test_a_round_visit_must_be_of_its_sample_and_kind(town):
    ids = town["ids"]
    r = _round(town, period="2026-12", kind="mystery", quotas=[Quota(TOILET, count=1)])
    _, got = _sample(r["id"], seed=3)
    with transaction() as s:
        rounds.start(s, OFFICE, r["id"])
    outside = next(p for p in ids.values() if p not in got)
    with pytest.raises(InvalidInput) as e:
        _visit(r["id"], outside, T["ok"], datetime(2026, 12, 2, 9, tzinfo=TZ))
    assert e.value.field == "round_id"
    (inside,) = got
    with pytest.raises(InvalidInput) as e, transaction() as s:
        round_visits.visit(s, point_id=inside, round_id=r["id"], kind="bimonthly", inspector="x", results=T["ok"],
                           caller=OFFICE)
    assert e.value.field == "kind"
    done = _visit(r["id"], inside, T["ok"], datetime(2026, 12, 2, 9, tzinfo=TZ))
    assert done["round_id"] == r["id"] and scalar(
        "SELECT kind || ':' || round_id FROM inspection_visits WHERE id = :v", v=done["id"]) == f"mystery:{r['id']}"
    with transaction() as s:
        rounds.close(s, OFFICE, r["id"])


def test_who_runs_a_round_and_what_a_bad_period_says(town):
    west = Caller(actor="west office", scope=town["west"], permissions=frozenset({"read", "run_rounds"}))
    with pytest.raises(InvalidInput) as e, transaction() as s:
        rounds.create(s, OFFICE, name="x", kind="mock_assessment", period="2026-B7", scope=None,
                      quotas=[Quota(TOILET, count=1)])
    assert e.value.field == "period"
    with pytest.raises(Forbidden), transaction() as s:  # the district lies beyond a 街道's office
        rounds.create(s, west, name="x", kind="mock_assessment", period="2026-B6", scope=town["district"],
                      quotas=[Quota(TOILET, count=1)])
    with transaction() as s:  # no scope: its own region
        mine = rounds.create(s, west, name="西街道自查", kind="mystery", period="2026-W49", scope=None,
                             quotas=[Quota(TOILET, share=1)])
        assert mine["scope_code"] == town["west"] and mine["period_label"].startswith("2026年第49周")
        assert sampling.sample(s, west, mine["id"], seed=1)["sampled"] == 6  # the west's toilets only
        rounds.delete(s, west, mine["id"])
    with pytest.raises(InvalidInput) as e, transaction() as s:
        rounds.create(s, OFFICE, name="x", kind="mock_assessment", period="2026-B6", scope=town["district"],
                      quotas=[Quota("道路", count=1)])
    assert e.value.field == "quotas"


def test_balanced_assignment_keeps_streets_together(town):
    from layers.access import users
    from layers.access.caller import SYSTEM

    r = _round(town, period="2027-B1", quotas=[Quota(TOILET, count=9), Quota(MARKET, count=3)])
    _sample(r["id"], seed=2)
    with transaction() as s:
        a = users.create(s, SYSTEM, login="round-insp-a", display_name="督查甲", role="inspector",
                         password="Inspect-the-toilets-1")
        b = users.create(s, SYSTEM, login="round-insp-b", display_name="督查乙", role="inspector",
                         region_code=town["east"], password="Inspect-the-toilets-2")
        out = round_assign.assign(s, OFFICE, r["id"], inspectors_=[a["id"], b["id"]])
        rows = dict(s.execute(text("SELECT point_id, assignee_user_id FROM assessment_round_points "
                                   "WHERE round_id = :r"), {"r": r["id"]}).all())
    # 12 points, 6 each at most: the west (8) goes to 甲 (乙 may not visit it) up to 6, the rest follow.
    names = {v: k for k, v in town["ids"].items()}
    east = {names[p] for p, u in rows.items() if u == b["id"]}
    assert east <= {"b1", "b2", "b3", "n1"} and len(east) == 4 - sum(1 for p, u in rows.items()
                                                                  if u == a["id"] and names[p][0] in "bn")
    assert out["unassigned"] == 0 and sorted(x["assigned"] for x in out["inspectors"]) in ([4, 8], [6, 6], [5, 7])
    with pytest.raises(InvalidInput), transaction() as s:  # 乙's region is the east
        round_assign.assign(s, OFFICE, r["id"], points_=[(town["ids"]["a1"], b["id"])])
    with transaction() as s:
        round_assign.assign(s, OFFICE, r["id"], points_=[(town["ids"]["a1"], None)],
                            subdistricts=[(town["east"], b["id"])])
        rounds.start(s, OFFICE, r["id"])
        caller = users.caller_for(users.get(s, SYSTEM, b["id"]))
        mine = round_assign.my_points(s, caller)
    assert {names[p["point_id"]] for p in mine} == {"b1", "b2", "b3", "n1"}
    assert scalar("SELECT assignee_user_id FROM assessment_round_points WHERE round_id = :r AND point_id = :p",
                  r=r["id"], p=town["ids"]["a1"]) is None
    with transaction() as s:
        rounds.close(s, OFFICE, r["id"])
