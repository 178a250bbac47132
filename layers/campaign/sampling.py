"""Drawing a round's sample the way the national assessment samples (测评点位随机抽取):

- per point type a quota: a number of points, or a share of those in the scope (rounded half up, at least one when
  the type has any);
- always in, and counted in their type's quota: the points named for the round, the city's 易失分/易反弹 points
  (when the round says so) and the points that failed an item in the previous round of the same kind and scope;
- stratified by 街道: each 街道 gets the share of its type's quota its points are of the type's points (the largest
  remainders get the odd points, ties broken by the seed), never fewer than its always-in points;
- seeded: inside a 街道 the points are taken in the order of md5(seed:point id), so the same seed over the same
  points gives the same sample; the seed is stored with the round.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import floor
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.sql import load
from layers.access.caller import Caller
from layers.campaign import rounds
from layers.campaign.rounds import Quota
from layers.common.audit import record


@dataclass(frozen=True)
class Candidate:
    id: int
    point_type: str
    region_code: str | None
    subdistrict_code: str | None
    draw_key: str
    forced: str | None = None  # listed, weak or failed_previous: always in


def quota_of(q: Quota | None, available: int) -> int:
    """How many points of a type the quota asks for, out of `available`."""
    if q is None or available == 0:
        return 0
    if q.count is not None:
        return min(q.count, available)
    n = floor(Fraction(q.share).limit_denominator(10**6) * available + Fraction(1, 2))
    return min(max(n, 1), available)


def _tiebreak(seed: int, point_type: str, stratum: str | None) -> str:
    return hashlib.md5(f"{seed}:{point_type}:{stratum or ''}".encode()).hexdigest()


def allocate(quota: int, strata: Mapping[str | None, tuple[int, int]], *, seed: int,
             point_type: str) -> dict[str | None, int]:
    """How many points each 街道 gives: `strata` maps a 街道 to (points available, points always in). Each gets its
    always-in points, then the odd points go one by one to the 街道 furthest below its proportional share
    quota × available / total (ties: the seed's order), never beyond what it has."""
    total = sum(available for available, _ in strata.values())
    taken = {s: forced for s, (_, forced) in strata.items()}
    if not total:
        return taken
    share = {s: Fraction(quota * available, total) for s, (available, _) in strata.items()}
    # Every 街道 below its share by a whole point or more is raised to its floor first (the one-by-one rule would
    # get there anyway, in some order); only the last few points are handed out one at a time.
    floors = {s: max(taken[s], floor(share[s])) for s in strata}
    if sum(floors.values()) <= quota:
        taken = floors
    order = sorted(strata, key=lambda s: _tiebreak(seed, point_type, s))
    while sum(taken.values()) < quota:
        open_ = [s for s in order if taken[s] < strata[s][0]]
        if not open_:
            break
        best = max(open_, key=lambda s: share[s] - taken[s])  # the first of equals in the seed's order
        taken[best] += 1
    return taken


def draw(candidates: Iterable[Candidate], quotas: Mapping[str, Quota], *, seed: int
         ) -> tuple[list[tuple[Candidate, str]], list[dict[str, Any]]]:
    """The sample (each point with why it is in) and per point type what was asked, available and drawn."""
    by_type: dict[str, dict[str | None, list[Candidate]]] = defaultdict(lambda: defaultdict(list))
    for c in candidates:
        by_type[c.point_type][c.subdistrict_code].append(c)
    chosen: list[tuple[Candidate, str]] = []
    summary = []
    for point_type in sorted(set(by_type) | set(quotas)):
        strata = by_type.get(point_type, {})
        available = sum(len(cs) for cs in strata.values())
        forced = sum(1 for cs in strata.values() for c in cs if c.forced)
        quota = quota_of(quotas.get(point_type), available)
        counts = allocate(quota, {s: (len(cs), sum(1 for c in cs if c.forced)) for s, cs in strata.items()},
                          seed=seed, point_type=point_type)
        for stratum, cs in strata.items():
            chosen += [(c, c.forced) for c in cs if c.forced]
            rest = sorted((c for c in cs if not c.forced), key=lambda c: c.draw_key)
            chosen += [(c, "quota") for c in rest[:counts[stratum] - sum(1 for c in cs if c.forced)]]
        q = quotas.get(point_type)
        summary.append({"point_type": point_type, "count": q.count if q else None, "share": q.share if q else None,
                        "available": available, "quota": quota, "forced": forced,
                        "sampled": sum(counts.values()), "over_quota": max(forced - quota, 0)})
    return chosen, [s for s in summary if s["sampled"] or s["point_type"] in quotas]


def candidates(session: Session, r: dict[str, Any], seed: int, previous: int | None) -> list[Candidate]:
    rows = session.execute(text(load(__file__, "sampling_candidates")), {
        "round": r["id"], "scope": r["scope_code"] or "", "seed": seed, "weak": r["include_weak"],
        "previous": previous}).mappings()
    return [Candidate(**row) for row in rows]


def sample(session: Session, caller: Caller, round_id: int, *, seed: int | None = None) -> dict[str, Any]:
    """Draw (or draw again, before the round starts) the round's sample; the seed used is stored with it. Drawing
    again drops the assignments of the old sample."""
    r = rounds.for_change(session, caller, round_id, ("draft", "sampled"), "sampling it")
    if seed is None:
        seed = r["seed"] if r["seed"] is not None else secrets.randbelow(2**31)
    if not 0 <= seed < 2**63:
        raise InvalidInput("seed must be a whole number from 0 to 2^63 - 1", field="seed")
    previous = rounds.previous(session, r) if r["include_failed_previous"] else None
    quotas = {q["point_type"]: Quota(**q) for q in r["quotas"]}
    chosen, by_type = draw(candidates(session, r, seed, previous), quotas, seed=seed)
    if not chosen:
        raise InvalidInput("the quotas draw no point in the round's scope", field="quotas")
    session.execute(text("DELETE FROM assessment_round_points WHERE round_id = :r"), {"r": round_id})
    session.execute(text(
        "INSERT INTO assessment_round_points (round_id, point_id, point_type, region_code, subdistrict_code, reason, "
        "draw_key) SELECT :r, * FROM unnest(CAST(:ids AS integer[]), CAST(:types AS text[]), "
        "CAST(:regions AS text[]), CAST(:subs AS text[]), CAST(:reasons AS text[]), CAST(:keys AS text[]))"), {
        "r": round_id, "ids": [c.id for c, _ in chosen], "types": [c.point_type for c, _ in chosen],
        "regions": [c.region_code for c, _ in chosen], "subs": [c.subdistrict_code for c, _ in chosen],
        "reasons": [why for _, why in chosen], "keys": [c.draw_key for c, _ in chosen]})
    session.execute(text("UPDATE assessment_rounds SET seed = :s, state = 'sampled', sampled_at = now() "
                         "WHERE id = :r"), {"s": seed, "r": round_id})
    reasons = {why: sum(1 for _, w in chosen if w == why) for why in rounds.REASONS}
    record(session, caller.actor, "sample", "assessment_rounds", round_id,
           {"seed": seed, "sampled": len(chosen), "reasons": reasons, "previous_round": previous})
    return {"round_id": round_id, "seed": seed, "sampled": len(chosen), "reasons": reasons,
            "previous_round_id": previous, "by_type": by_type}


def quota_table(session: Session, r: dict[str, Any]) -> list[dict[str, Any]]:
    """Per point type of the round: its quota as asked, the points available in the scope and the quota in points
    (what the sample summary says, for a round drawn earlier or not yet)."""
    available: dict[str, int] = defaultdict(int)
    for c in candidates(session, r, r["seed"] or 0, None):
        available[c.point_type] += 1
    out = []
    for q in r["quotas"]:
        quota = Quota(**q)
        out.append({**q, "available": available[q["point_type"]], "quota": quota_of(quota, available[q["point_type"]])})
    return out
