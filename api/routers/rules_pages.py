"""The rules page /maps/rules (规则设置) for those who may change the rules (admin, city office): one tab per rule
table, the work calendar, the latest changes. Reads come from layers.rules; every write the page makes is a
workbench.js form posting the JSON API (api/routers/rules.py), so its permission and checks apply as they are."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.deps import DbSession
from api.page_kit import gate, page
from layers.rules import edit, history, references, work_calendar
from layers.rules.tables import TABLES
from maps import rules_page

router = APIRouter(include_in_schema=False)
ACTIVE = "/maps/rules"


def _refused(request: Request, p: Principal) -> HTMLResponse:
    return page(request, p, "error.html", active=ACTIVE, status=403, title="无权访问",
                message="规则设置只对系统管理员和创城办开放。")


def _tables(s: DbSession, names: tuple[str, ...], point_type: str) -> list[rules_page.TableView]:
    refs = references.every(s, {c.ref for n in names for c in TABLES[n].columns if c.ref} |
                            ({"point_type"} if "coverage_rules" in names else set()))
    views = []
    for name in names:
        filters = {"point_type": point_type} if name == "checklist_items" and point_type else {}
        views.append(rules_page.table_view(TABLES[name], edit.rows(s, name, **filters), refs))
    return views


@router.get("/maps/rules", response_class=HTMLResponse)
def rules(
    s: DbSession,
    request: Request,
    tab: str = Query("categories", max_length=30),
    year: int | None = Query(None, ge=2000, le=2100),
    point_type: str = Query("", max_length=50),
) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    if not p.can("manage_rules"):
        return _refused(request, p)
    tab = rules_page.tab_of(tab)
    title, names = rules_page.TABS[tab]
    context = {"tab": tab, "tabs": rules_page.TABS, "tables": _tables(s, names, point_type), "point_type": point_type}
    if tab == "checklist_items":
        context["point_types"] = list(references.options(s, "point_type"))
    if tab == "escalation":
        context["settings"] = rules_page.settings_view(edit.rows(s, "escalation_settings"))
    if tab == "calendar":
        context["calendar"] = work_calendar.year(s, year or work_calendar.this_year(s))
    if tab == "changes":
        context["changes"] = rules_page.changes_view(history.changes(s, limit=100))
    return page(request, p, "rules/page.html", active=ACTIVE, title=f"规则设置 · {title}", **context)
