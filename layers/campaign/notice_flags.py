"""红旗/黄旗 by rule: the rules are rows of `flag_rules` (edited on /maps/rules, 通报规则), each a set of conditions
that must all hold — a rate at least or at most a percentage, at most N 问责 in the period, on the 红榜 or 黑榜 —
and a ranked row of a 红黑榜 earns a flag when any active rule of that flag holds for it.

Only ranked rows earn flags (a 街道 with nothing due has no rate to be proud of), and never both: a row that
earns a 黄旗 gets no 红旗, whatever else it did (a warning is not cancelled by a good rate elsewhere).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

FLAGS = {"red": "红旗", "yellow": "黄旗"}
# rule column → (the ranking row's metric, at least (True) or at most, its name)
THRESHOLDS = {
    "min_on_time_rate": ("on_time_rate", True, "按期结案率"),
    "min_closure_rate": ("closure_rate", True, "结案率"),
    "max_overdue_rate": ("overdue_rate", False, "超期率"),
    "min_overdue_rate": ("overdue_rate", True, "超期率"),
    "max_rework_rate": ("rework_rate", False, "返工率"),
}
BOARDS = {"red": "红榜", "black": "黑榜"}


def active_rules(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(text("SELECT * FROM flag_rules WHERE active ORDER BY sort, id")).mappings()
    return [{k: (float(v) if k in THRESHOLDS and v is not None else v) for k, v in r.items()} for r in rows]


def describe(rule: dict[str, Any]) -> str:
    """The rule's conditions in words: 按期结案率≥95%、问责不超过0次."""
    parts = []
    for column, (_, at_least, name) in THRESHOLDS.items():
        if rule.get(column) is not None:
            parts.append(f"{name}{'≥' if at_least else '≤'}{rule[column]:g}%")
    if rule.get("max_accountability") is not None:
        parts.append("无问责" if rule["max_accountability"] == 0 else f"问责不超过{rule['max_accountability']}次")
    if rule.get("board"):
        parts.append(f"上{BOARDS[rule['board']]}")
    return "、".join(parts)


def holds(rule: dict[str, Any], row: dict[str, Any], level: str) -> bool:
    if rule.get("level") and rule["level"] != level:
        return False
    for column, (metric, at_least, _) in THRESHOLDS.items():
        limit = rule.get(column)
        if limit is None:
            continue
        value = row.get(metric)
        if value is None:
            return False
        percent = round(value * 100, 2)
        if (percent < limit) if at_least else (percent > limit):
            return False
    if rule.get("max_accountability") is not None and row.get("accountability", 0) > rule["max_accountability"]:
        return False
    return not (rule.get("board") and row.get("board") != rule["board"])


def award(boards: list[dict[str, Any]], rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every flag earned on the boards: {flag, flag_name, level, level_name, key, name, rules: [rule names]}; the
    黄旗 first, each list in the boards' order."""
    out: dict[str, list[dict[str, Any]]] = {"yellow": [], "red": []}
    for board in boards:
        for row in board["rows"]:
            if not row.get("ranked"):
                continue
            earned = {flag: [r["name"] for r in rules if r["flag"] == flag and holds(r, row, board["level"])]
                      for flag in FLAGS}
            flag = "yellow" if earned["yellow"] else "red" if earned["red"] else None
            if flag:
                out[flag].append({"flag": flag, "flag_name": FLAGS[flag], "level": board["level"],
                                  "level_name": board["level_name"], "key": row["key"], "name": row["name"],
                                  "rules": earned[flag]})
    return out["yellow"] + out["red"]
