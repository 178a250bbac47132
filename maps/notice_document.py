"""A published 通报 as a document: its snapshot (layers/campaign/notice_snapshot.py) laid out as a list of blocks —
title, number, headings, paragraphs, tables, photos — that the Word document (notice_docx.py) and the printable
page (templates/notices/print.html) both draw. One layout for both, so the page shows what the .docx says.

Only the snapshot is read, in list order, so the same snapshot always gives the same blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

NUMERALS = "一二三四五六七八九十"
BOARD_NAMES = {"red": "红榜", "black": "黑榜"}
LEVEL_NAMES = {"subdistrict": "街道", "community": "社区", "department": "职能部门", "owner": "责任人"}
# Labels for what a 测评 round summary may hold (any other key is shown as it is named).
ASSESSMENT_LABELS = {"round": "轮次", "name": "名称", "title": "名称", "kind": "类型", "period": "期",
                     "score_rate": "得分率（%）", "points": "测评点位", "visited": "已测评", "lost_items": "失分条目",
                     "previous_score_rate": "上轮得分率（%）", "change": "较上轮（百分点）", "subdistrict": "街道",
                     "point_type": "点位类型", "score": "得分", "full_score": "满分", "rows": "明细",
                     "state": "状态", "subdistricts": "各街道得分率（%）", "point_types": "各类点位得分率（%）"}


@dataclass
class Block:
    kind: str  # title, number, note, heading, subheading, para, item, table, photos, signature
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)  # per table row: "red", "black" or ""
    photos: list[int] = field(default_factory=list)  # the notice's photo numbers (seq)


def percent(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def when(value: str | None, *, time: bool = False) -> str:
    if not value:
        return "—"
    at = datetime.fromisoformat(value)
    return at.strftime("%Y-%m-%d %H:%M") if time else at.strftime("%Y-%m-%d")


def chinese_date(value: str) -> str:
    at = datetime.fromisoformat(value)
    return f"{at.year}年{at.month}月{at.day}日"


def _change(rank_change: Any) -> str:
    if rank_change is None:
        return "—"
    return "持平" if rank_change == 0 else (f"↑{rank_change}" if rank_change > 0 else f"↓{-rank_change}")


def _names(rows: list[dict], keys: list[str]) -> str:
    by_key = {r["key"]: r["name"] for r in rows}
    return "、".join(by_key.get(k) or k for k in keys)


class _Sections:
    def __init__(self) -> None:
        self.n = 0

    def next(self, title: str) -> Block:
        self.n += 1
        return Block("heading", f"{NUMERALS[self.n - 1]}、{title}")


def blocks(s: dict[str, Any]) -> list[Block]:
    out = [Block("number", s["number"]), Block("title", s["title"])]
    if s.get("replaces"):
        out.append(Block("note", f"本通报替代{s['replaces']}（已撤回）。"))
    period, scope = s["period"], s["scope"]
    out.append(Block("para", f"现将{scope['name']}{period['label']}（{period['start']}至{period['end']}）创建全国"
                             "文明城市工作情况通报如下。"))
    sec = _Sections()
    out += _summary(sec, s)
    out += _boards(sec, s["boards"])
    out += _flags(sec, s)
    out += _exposures(sec, s["exposures"])
    out += _overdue(sec, s["overdue"], s["published_at"])
    out += _escalations(sec, s["escalations"])
    out += _assessment(sec, s.get("assessment"))
    out.append(Block("signature", f"{s['issuer']}\n{chinese_date(s['published_at'])}"))
    return out


def _summary(sec: _Sections, s: dict) -> list[Block]:
    n = s["summary"]
    return [sec.next("总体情况"), Block(
        "para", f"本期共受理问题{n['reported']}件，派遣{n['dispatched']}件，销号{n['closed']}件；截至"
                f"{when(s['published_at'], time=True)}，超期未整改{n['overdue']}件。本期曝光问题{n['exposed']}件，"
                f"通报、约谈、问责办理{n['escalations_acted']}起。")]


def _boards(sec: _Sections, boards: list[dict]) -> list[Block]:
    out = [sec.next("红黑榜")]
    for i, b in enumerate(boards):
        out.append(Block("subheading", f"（{NUMERALS[i]}）{b['level_name']}红黑榜"))
        rule = (f"以{b['sort_name']}排名，本期到期问题不少于{b['min_sample']}件的参与排名，共{b['ranked']}个"
                f"{b['level_name']}参与排名")
        if not b["boards_shown"]:
            out.append(Block("para", f"{rule}，不足{b['min_ranked']}个，本期不列红黑榜。"))
        else:
            out.append(Block("para", f"{rule}。红榜：{_names(b['rows'], b['red'])}；"
                                     f"黑榜：{_names(b['rows'], b['black'])}。"))
        if not b["rows"]:
            continue
        header = ["名次", "名称", "到期", "按期结案率", "结案率", "返工率", "超期率", "问责", "名次变化", "榜单"]
        rows, marks = [], []
        for r in b["rows"]:
            rows.append([str(r["rank"]), r["name"] or r["key"], str(r["due"]), percent(r["on_time_rate"]),
                         percent(r["closure_rate"]), percent(r["rework_rate"]), percent(r["overdue_rate"]),
                         str(r["accountability"]), _change(r["rank_change"]), BOARD_NAMES.get(r["board"] or "", "")])
            marks.append(r["board"] or "")
        out.append(Block("table", header=header, rows=rows, marks=marks))
        if b.get("cut"):
            out.append(Block("note", f"另有{b['cut']}个参与排名的{b['level_name']}未列出。"))
    return out


def _flags(sec: _Sections, s: dict) -> list[Block]:
    out = [sec.next("红旗、黄旗")]
    rules = s["flag_rules"]
    if rules:
        out.append(Block("para", "评定规则：" + "；".join(
            f"{r['flag_name']}——{r['conditions']}" + (f"（仅{LEVEL_NAMES[r['level']]}）" if r.get("level") else "")
            for r in rules) + "。只评参与排名的对象，同时符合红旗、黄旗规则的只评黄旗。"))
    if not s["flags"]:
        out.append(Block("para", "本期无红旗、黄旗。"))
        return out
    out.append(Block("table", header=["旗", "类别", "名称", "依据"],
                     rows=[[f["flag_name"], f["level_name"], f["name"], "、".join(f["rules"])] for f in s["flags"]],
                     marks=["red" if f["flag"] == "red" else "black" for f in s["flags"]]))
    return out


def _exposures(sec: _Sections, x: dict) -> list[Block]:
    out = [sec.next("曝光台")]
    if not x["total"]:
        out.append(Block("para", "本期无曝光问题。"))
        return out
    kinds = "、".join(f"{k['name']}{k['problems']}件" for k in x["by_kind"])
    shown = f"，以下列出{x['shown']}件" if x["shown"] < x["total"] else ""
    out.append(Block("para", f"本期曝光问题{x['total']}件（{kinds}）{shown}。"))
    for i, item in enumerate(x["items"], start=1):
        where = "、".join(v for v in (item.get("subdistrict"), item.get("community")) if v and v != item["place"])
        head = f"{i}. {item['category']}｜{item['place'] or '—'}"
        out.append(Block("item", head + (f"（{where}）" if where else "")))
        text = (item.get("description") or "").strip()
        out.append(Block("para", (f"{text}。" if text else "") + f"问题编号{item['problem_id']}，"
                                 f"{when(item['reported_at'])}上报；曝光原因：{'、'.join(item['kinds'])}；"
                                 f"责任主体：{'、'.join(item['parties'])}；当前状态：{item['status']}。"))
        if item["photos"]:
            out.append(Block("photos", photos=list(item["photos"])))
    return out


def _overdue(sec: _Sections, x: dict, published_at: str) -> list[Block]:
    out = [sec.next("超期未整改问题")]
    if not x["total"]:
        out.append(Block("para", f"截至{when(published_at, time=True)}，无超期未整改问题。"))
        return out
    out.append(Block("para", f"截至{when(published_at, time=True)}，超期未整改问题{x['total']}件，各街道情况如下。"))
    out.append(Block("table", header=["街道", "超期件数", "最长超期（天）"],
                     rows=[[t["subdistrict"], str(t["problems"]), str(t["most_days"])] for t in x["by_subdistrict"]]))
    if len(x["items"]) < x["total"]:
        out.append(Block("para", f"超期最久的{len(x['items'])}件："))
    header = ["编号", "分类", "地点", "街道/社区", "主办部门", "责任人", "整改期限", "超期（天）"]
    out.append(Block("table", header=header,
                     rows=[[str(r["problem_id"]), r["category"], r["place"] or "—",
                            "/".join(v for v in (r["subdistrict"], r["community"]) if v) or "—",
                            r["department"] or "—", r["owners"] or "—", when(r["due_at"]), str(r["days_overdue"])]
                           for r in x["items"]]))
    return out


def _record(e: dict) -> str:
    parts = []
    if e.get("scheduled_at"):
        venue = f"，地点{e['venue']}" if e.get("venue") else ""
        parts.append(f"约谈时间{when(e['scheduled_at'], time=True)}{venue}")
    if e.get("minutes"):
        parts.append(f"纪要：{e['minutes']}")
    if e.get("decision"):
        parts.append(f"决定：{e['decision']}")
    return "；".join(parts) or "—"


STATE_NAMES = {"notified": "已通报", "scheduled": "已安排约谈", "held": "已约谈", "decided": "已问责"}


def _escalations(sec: _Sections, x: dict) -> list[Block]:
    out = [sec.next("通报、约谈、问责情况")]
    if not x["items"]:
        out.append(Block("para", "本期无办理的通报、约谈、问责。"))
        return out
    counts = "、".join(f"{c['level_name']}{c['count']}起" for c in x["by_level"])
    out.append(Block("para", f"本期办理{counts}。"))
    out.append(Block("table", header=["责任主体", "级别", "状态", "原因", "问题编号", "办理情况", "日期"],
                     rows=[[(e["holder"] or "—") + (f"（{e['because_of_unit']}一把手）" if e.get("because_of_unit")
                                                    else ""),
                            e["level_name"], STATE_NAMES.get(e["state"], e["state"]), e["reason"],
                            str(e["problem_id"]), _record(e), when(e["updated_at"])] for e in x["items"]]))
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        return percent(value) if 0 <= value <= 1 else f"{value:g}"
    return "—" if value is None else str(value)


def _assessment(sec: _Sections, a: Any) -> list[Block]:
    out = [sec.next("测评结果")]
    if not a:
        out.append(Block("para", "本期无测评。"))
        return out
    if not isinstance(a, dict):
        out.append(Block("para", _scalar(a)))
        return out
    facts = [f"{ASSESSMENT_LABELS.get(k, k)}：{_scalar(v)}" for k, v in a.items()
             if not isinstance(v, list | dict)]
    if facts:
        out.append(Block("para", "；".join(facts) + "。"))
    for key, value in a.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for v in value for k in v if not isinstance(v[k], list | dict)))
            out.append(Block("subheading", ASSESSMENT_LABELS.get(key, key)))
            out.append(Block("table", header=[ASSESSMENT_LABELS.get(c, c) for c in columns],
                             rows=[[_scalar(v.get(c)) for c in columns] for v in value]))
    return out
