"""Printable pages: the 督导单 (supervision sheet) that goes out weekly and comes back 对账销号.

Every value from the database is escaped: report text is written by the public.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from typing import Any

from layers.common.excel import workbook

_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; }
h1 { font-size: 20px; text-align: center; } .meta { margin: 1em 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #333; padding: 4px 6px; vertical-align: top; }
th { background: #eee; } .overdue { color: #b00; font-weight: bold; } .reply { width: 18%; height: 3em; }
@media print { body { margin: 0; } }
"""


# Excel refuses these in a sheet's name (and XML any control character); a name is at most 31 characters.
_NOT_IN_TITLE = re.compile(r"[\\/?*:\[\]\x00-\x1f\x7f]")
XLSX_HEADER = ["编号", "类别", "位置", "地址", "问题描述", "上报时间", "整改时限", "状态", "是否超期",
               "整改情况（回复）"]


def sheet_title(text: str) -> str:
    """A worksheet name for any text: what Excel refuses becomes a space; apostrophes may not begin or end it."""
    title = _NOT_IN_TITLE.sub(" ", text)[:31].strip(" '")
    return title or "督导单"


def _fmt(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def supervision_sheet_html(sheet: dict[str, Any], *, prev_url: str | None = None, next_url: str | None = None) -> str:
    """The printable 督导单: one page of its problems (numbered on from the page's offset), the totals, and links to
    the pages before and after."""
    first = sheet.get("offset") or 0
    rows = "".join(
        "<tr>"
        f"<td>{i}</td><td>{escape(_fmt(r['id']))}</td><td>{escape(_fmt(r['category']))}</td>"
        f"<td>{escape(_fmt(r['place']))}<br>{escape(_fmt(r['address']))}</td>"
        f"<td>{escape(_fmt(r['description']))}</td><td>{escape(_fmt(r['reported_at']))}</td>"
        f"<td class=\"{'overdue' if r['overdue'] else ''}\">{escape(_fmt(r['due_at']))}"
        f"{'（已超期）' if r['overdue'] else ''}</td><td>{escape(_fmt(r['status']))}</td>"
        "<td class=\"reply\"></td><td class=\"reply\"></td></tr>"
        for i, r in enumerate(sheet["items"], start=first + 1)
    )
    shown = (f"第 {first + 1}–{first + len(sheet['items'])} 件，共 {sheet['open']} 件" if sheet["items"] else "")
    links = "".join(f'<a href="{escape(u)}">{t}</a>　' for u, t in ((prev_url, "上一页"), (next_url, "下一页")) if u)
    pager = f'<p class="pager">{shown}　{links}</p>' if (prev_url or next_url) else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>督导单 — {escape(sheet['holder'])}</title>
<style>{_STYLE}</style></head><body>
<h1>创建全国文明城市问题督导单</h1>
<div class="meta">责任人/单位：<b>{escape(sheet['holder'])}</b>　生成时间：{escape(_fmt(sheet['generated_at']))}
　待整改 {sheet['open']} 件，其中超期 <span class="overdue">{sheet['overdue']}</span> 件</div>
<table><thead><tr><th>序号</th><th>编号</th><th>类别</th><th>位置</th><th>问题描述</th><th>上报时间</th>
<th>整改时限</th><th>状态</th><th>整改情况（回复）</th><th>签字/日期</th></tr></thead>
<tbody>{rows or '<tr><td colspan="10">无待整改问题</td></tr>'}</tbody></table>
{pager}
<p>请于收到本单后按时限整改，并在“整改情况”栏填写处理结果，签字后交回创城办对账销号。</p>
</body></html>"""


def supervision_sheet_xlsx(sheet: dict[str, Any]) -> bytes:
    """The 督导单 as Excel. Only the worksheet's name is cleaned of what Excel refuses; the data is unchanged."""
    body = ([r["id"], r["category"], r["place"], r["address"], r["description"], r["reported_at"], r["due_at"],
             r["status"], "是" if r["overdue"] else "否", ""] for r in sheet["items"])
    return workbook(sheet_title(f"督导单-{sheet['holder']}"), XLSX_HEADER, body)
