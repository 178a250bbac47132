"""Jinja2 for the workbench pages: one environment, autoescaped (report text is written by the public), with the
top bar every page shares. Pages get what they show from layers/ services; their writes go through the JSON API
(workbench.js sends the session's CSRF token), so a page has no rules of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

STATIC = "/maps/static"
CITY_TZ = ZoneInfo("Asia/Shanghai")

# The access roles as people read them (the codes are layers/access/roles.py's).
ROLE_NAMES = {
    "admin": "系统管理员",
    "city_office": "创城办",
    "district_staff": "区级工作人员",
    "subdistrict_staff": "街道工作人员",
    "street_chief": "街长/路长",
    "grid_worker": "网格员",
    "inspector": "督查员",
    "viewer": "只读用户",
    "public": "公众",
}

# The top bar: (path, label, permission needed to see the link).
NAV = [
    ("/maps/", "首页", "read"),
    ("/maps/screen", "大屏", "read"),
    ("/maps/problems", "问题台账", "read"),
    ("/maps/heatmap", "热力图", "read"),
    ("/maps/coverage", "覆盖缺口", "read"),
    ("/maps/owners", "责任人", "read"),
    ("/maps/people", "人员单位", "read"),
    ("/maps/ranking", "红黑榜", "read"),
    ("/maps/escalations", "通报约谈", "read"),
    ("/maps/rounds", "测评", "read"),
    ("/maps/notices", "通报", "read"),
    ("/maps/dispatches", "交办单", "read"),
    ("/maps/accounts", "账号", "manage_people"),
    ("/maps/rules", "规则设置", "manage_rules"),
]


@dataclass(frozen=True)
class PageUser:
    """Who is looking at a page, as the page needs it (api/ builds it from the request's principal)."""

    name: str
    role: str
    region_code: str | None
    permissions: frozenset[str] = field(default_factory=frozenset)
    is_account: bool = False
    person_id: int | None = None
    csrf_token: str = ""

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def _datetime(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Times as Beijing time; text (an ISO string from a JSON answer) is parsed first."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CITY_TZ)
        return value.strftime(fmt)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@lru_cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("maps", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(STATIC=STATIC, NAV=NAV, ROLE_NAMES=ROLE_NAMES)
    env.filters["dt"] = _datetime
    return env


def render(template: str, *, user: PageUser | None, active: str = "", **context: Any) -> str:
    """A whole page: `template` extends base.html, which draws the top bar for `user` with `active` marked."""
    return environment().get_template(template).render(user=user, active=active, **context)


def top_bar(user: PageUser, active: str) -> str:
    """The top bar alone, for the folium map pages (their HTML is folium's, not a template's)."""
    return environment().get_template("_topbar.html").render(user=user, active=active)
