"""The leaders' map pages: folium builds the Leaflet map from assets served by this package (no CDN), and
maps.js loads the data from the API and redraws it when the page's filters change.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.map import FitBounds
from jinja2 import Template

from maps.settings import MapSettings
from maps.templating import PageUser, render, top_bar

STATIC = "/maps/static"
LEAFLET_VERSION = "1.9.4"
PAGES = {"heatmap": "问题热力图", "coverage": "覆盖缺口", "owners": "责任人地图", "ranking": "红黑榜"}
TIANDITU = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")


def basemaps(settings: MapSettings) -> list[tuple[str, str, dict[str, Any]]]:
    """(url, attribution, options) of each configured basemap layer; none configured is a valid choice."""
    if settings.basemap == "tianditu" and settings.tianditu_key:
        key = settings.tianditu_key
        attr = "© 天地图 GS(2024)0568号"
        return [(TIANDITU.format(s="{s}", layer=layer, key=key), attr, {"subdomains": "01234567"})
                for layer in ("vec", "cva")]
    if settings.basemap.startswith(("http://", "https://", "/")):
        return [(settings.basemap, settings.basemap_attribution or "底图", {})]
    return []


def _options(values: list[tuple[str, str]], selected: str | None = None) -> str:
    return "".join(f'<option value="{escape(v)}"{" selected" if v == selected else ""}>{escape(t)}</option>'
                   for v, t in values)


CELLS = [("hex", "六边形"), ("square", "方格"), ("grid_cell", "单元网格"), ("community", "社区")]
SIZES = [("auto", "随缩放自动"), ("100", "100 米"), ("250", "250 米"), ("500", "500 米"), ("1000", "1000 米")]
WALKS = [("500", "500 米"), ("1000", "1000 米（15分钟生活圈）"), ("1500", "1500 米")]
PATROL_DAYS = [("", "按角色巡查周期"), ("1", "1 天"), ("7", "7 天"), ("30", "30 天")]
METRICS = [("on_time_rate", "按期结案率"), ("closure_rate", "结案率"), ("rework_rate", "返工率"),
           ("overdue_rate", "超期率"), ("per_street_km", "每公里问题数"), ("per_point", "每个点位问题数"),
           ("escalations", "问责升级次数")]
# The planning indicators (GET /api/v1/analytics/planning-indicators), each region against its target.
PLANNING_METRICS = [("road_density", "路网密度"), ("living_circle_share", "15分钟生活圈覆盖率"),
                    ("volunteer_reach", "志愿服务站点覆盖率"), ("no_chief_share", "无街长道路占比"),
                    ("road_area_share", "道路面积率"), ("green_cover", "建成区绿化覆盖率")]
METHODS = [("straight_line", "直线距离"), ("network", "步行路网")]
RANKING_TABLE = ('<div class="ccg-side"><b>红黑榜</b><table><thead><tr><th>名次</th><th>名称</th><th>指标</th>'
                 '<th>较上期</th><th>到期件数</th><th></th></tr></thead><tbody id="ccg-ranking-body"></tbody></table>'
                 '</div>')


GAP_LAYERS = [("", "全部"), ("streets", "道路"), ("grid_cells", "单元网格"), ("assessment_points", "测评点位")]


def coverage_panel(user: PageUser, regions: list[tuple[str, str]]) -> str:
    """The gap list beside the coverage map: true totals per 街道/社区 from the ownership report, then the places
    missing a role, paged, each with an inline assign form (coverage_list.js fills it; writes go through the API)."""
    assign = "1" if user.can("manage_people") and user.is_account else ""
    return f"""<button type="button" id="ccg-gaps-toggle" class="ccg-gaps-toggle" aria-controls="ccg-gaps"
 aria-expanded="false">缺口清单 <span id="ccg-gaps-badge"></span></button>
<aside id="ccg-gaps" class="ccg-gaps" data-can-assign="{assign}" aria-label="缺口清单">
<div class="ccg-gaps-head"><b>缺口清单</b>
<button type="button" class="ccg-btn secondary ccg-gaps-close">返回地图</button></div>
<div id="ccg-gaps-totals" class="ccg-gaps-totals">加载中…</div>
<form id="ccg-gaps-filter" class="ccg-form">
<label>区域 <select name="region"><option value="">全部</option>{_options(regions)}</select></label>
<label>图层 <select name="layer">{_options(GAP_LAYERS)}</select></label>
<label>按 <select name="level">{_options([("subdistrict", "街道"), ("community", "社区")])}</select></label></form>
<div class="ccg-scroll ccg-gaps-regions"><table class="ccg-table" id="ccg-gaps-by-region"><thead><tr><th>区域</th>
<th class="num">缺口</th><th class="num">覆盖率</th><th>缺少</th></tr></thead><tbody></tbody></table></div>
<h3 class="ccg-gaps-h">缺少责任人的地点 <span id="ccg-gaps-count" class="ccg-muted"></span></h3>
<div class="ccg-scroll"><table class="ccg-table" id="ccg-gaps-list"><thead><tr><th>地点</th><th>所在</th><th>缺少</th>
<th></th></tr></thead><tbody></tbody></table></div>
<div class="ccg-pager"><button type="button" class="ccg-btn secondary" data-page="-1">上一页</button>
<span id="ccg-gaps-page"></span><button type="button" class="ccg-btn secondary" data-page="1">下一页</button></div>
</aside>"""


def _filters(page: str, lookups: dict[str, list[tuple[str, str]]]) -> str:
    region = ('<label>区域 <select name="region"><option value="">全部</option>'
              f'{_options(lookups["regions"])}</select></label>')
    if page == "heatmap":
        return f"""
<label>格网 <select name="cell">{_options(CELLS, "hex")}</select></label>
<label>边长 <select name="size_m">{_options(SIZES, "auto")}</select></label>
<label>类别 <select name="category"><option value="">全部</option>{_options(lookups["categories"])}</select></label>
<label>状态 <select name="status">{_options([("", "全部"), ("open", "未办结"), ("overdue", "已超期")])}</select></label>
<label>来源 <select name="source"><option value="">全部</option>{_options(lookups["sources"])}</select></label>
<label>起 <input type="date" name="since"></label><label>止 <input type="date" name="until"></label>{region}"""
    if page == "coverage":
        kinds = [("ownership", "无人负责"), ("patrol", "未按期巡查"), ("grid_gap", "网格未覆盖"),
                 ("grid_overlap", "网格重叠"), ("service", "设施盲区")]
        boxes = "".join(f'<label><input type="checkbox" name="kind" value="{k}"'
                        f'{"" if k == "service" else " checked"}> {t}</label>' for k, t in kinds)
        return f"""{boxes}
<label>设施 <select name="facility"><option value="">—</option>
{_options(lookups["facilities"], "公共厕所")}</select></label>
<label>步行距离 <select name="walk_m">{_options(WALKS, "1000")}</select></label>
<label>计算方法 <select name="method">{_options(METHODS, "straight_line")}</select></label>
<label>巡查期限 <select name="inspected_within_days">{_options(PATROL_DAYS)}</select></label>{region}"""
    if page == "owners":
        return f'<label>图层 <select name="layer">{_options(OWNER_LAYERS)}</select></label>{region}'
    return f"""
<label>层级 <select name="level">{_options([("subdistrict", "街道"), ("community", "社区")])}</select></label>
<label>指标 <select name="sort">{_options(METRICS)}<optgroup label="规划指标">{_options(PLANNING_METRICS)}</optgroup>
</select></label>
<label>期间 <input name="period" placeholder="2026-11 / 2026-W49 / 2026-B6 / 2026-Q4" size="14"></label>
<label>最少样本 <input type="number" name="min_sample" value="10" min="1" style="width:60px"></label>{region}"""


class _Init(MacroElement):
    _template = Template("{% macro script(this, kwargs) %}CCGRID.init({{ this._parent.get_name() }}, "
                         "{{ this.payload }});{% endmacro %}")

    def __init__(self, payload: str) -> None:
        super().__init__()
        self._name = "CcgridInit"
        self.payload = payload


OWNER_LAYERS = [("streets", "道路"), ("assessment_points", "测评点位"), ("grid_cells", "单元网格")]
ROAD_CLASSES = [("arterial", "主干道"), ("secondary", "次干道"), ("branch", "支路"), ("back_lane", "背街小巷")]


def owners_panel(user: PageUser, lookups: dict[str, list[tuple[str, str]]], roles: list[dict[str, Any]],
                 today: str) -> str:
    """The owners map's side panel: the clicked place's panel goes in it (owners_map.js), and the bulk assignment
    form for those who manage people."""
    return render("owners/map_side.html", user=user, regions=lookups["regions"], roles=roles, today=today,
                  layers=OWNER_LAYERS, road_classes=ROAD_CLASSES,
                  point_types=[name for name, _ in lookups["facilities"]])


def map_page(page: str, *, bounds: list[list[float]], user: PageUser, lookups: dict[str, list[tuple[str, str]]],
             settings: MapSettings, roles: list[dict[str, Any]] | None = None, today: str = "") -> str:
    if page not in PAGES:
        raise KeyError(page)
    m = folium.Map(location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2], zoom_start=12,
                   tiles=None, control_scale=True, max_zoom=19)
    # folium's defaults point at CDNs; this page loads Leaflet from the package and nothing else.
    m.default_js = [("leaflet", f"{STATIC}/vendor/leaflet/leaflet.js"), ("ccgrid", f"{STATIC}/ccgrid/maps.js")]
    m.default_css = [("leaflet_css", f"{STATIC}/vendor/leaflet/leaflet.css"),
                     ("ccgrid_css", f"{STATIC}/ccgrid/maps.css")]
    # The gap list and the owners panel write through workbench.js and wear the workbench's tables and forms.
    # Every map draws the city's streets from our vector tiles; owners and coverage draw their places from them too.
    m.default_js.insert(1, ("vectorgrid", f"{STATIC}/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"))
    tools = {"coverage": ["coverage_list"], "owners": ["picker", "place_tools", "owners_map"]}.get(page)
    if tools:
        m.default_js += [(name, f"{STATIC}/ccgrid/{name}.js") for name in ["workbench", *tools]]
        m.default_css += [("workbench_css", f"{STATIC}/ccgrid/workbench.css")]
    for url, attr, options in basemaps(settings):
        folium.TileLayer(tiles=url, attr=attr, name="底图", max_zoom=19, **options).add_to(m)
    # The first view at once, not animated: a zoom animation still running when the page's own script (or a
    # person's first click) moves the map would end by putting the city view back.
    fit = FitBounds(bounds)
    fit.options["animate"] = False
    m.add_child(fit)
    root = m.get_root()
    root.header.add_child(Element('<meta charset="utf-8"><title>' + escape(PAGES[page]) + ' · 创城网格</title>'))
    side = ""
    if page == "ranking":
        side = RANKING_TABLE
    elif page == "coverage":
        side = coverage_panel(user, lookups["regions"])
    elif page == "owners":
        side = owners_panel(user, lookups, roles or [], today)
    root.html.add_child(Element(
        top_bar(user, f"/maps/{page}")
        + f'<form id="ccg-filters" class="ccg-panel"><b>{escape(PAGES[page])}</b>{_filters(page, lookups)}'
        + '<div><button type="submit">刷新</button></div><div id="ccg-status" class="ccg-status"></div></form>'
        + side))
    config = {"page": page, "reload_on_move": page in ("heatmap", "owners", "coverage")}
    # JSON inside a <script>: no "</" may survive, or text could close the tag.
    payload = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    m.add_child(_Init(payload))  # a child of the map, so it runs after the map exists
    return root.render()


def home_page(*, user: PageUser, numbers: list[tuple[str, str, str, str | None]]) -> str:
    """The numbers of the day; each with a link opens the list (or map) of what it counts."""
    def card(n: str, t: str, note: str, url: str | None) -> str:
        inner = (f'<div class="n">{escape(n)}</div><div class="t">{escape(t)}</div>'
                 f'<div class="ccg-note">{escape(note)}</div>')
        if url:
            return f'<a class="ccg-card ccg-card-link" href="{escape(url)}">{inner}</a>'
        return f'<div class="ccg-card">{inner}</div>'

    cards = "".join(card(*c) for c in numbers)
    links = "".join(f'<a href="/maps/{p}">{t}</a>' for p, t in PAGES.items())
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>创城网格 · 今日概况</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{STATIC}/ccgrid/maps.css"></head>
<body>{top_bar(user, "/maps/")}<div class="ccg-home"><h2>今日概况</h2><div class="ccg-cards">{cards}</div>
<div class="ccg-links">{links}</div></div></body></html>"""


def _page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title} · 创城网格</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{STATIC}/ccgrid/maps.css"></head><body>{body}</body></html>"""


def login_page(*, next_url: str, error: str | None = None, login: str = "") -> str:
    """The login form: account and password; the access token (ccg_…) as a second way, folded away."""
    err = f'<p class="ccg-error">{escape(error)}</p>' if error else ""
    nxt = f'<input type="hidden" name="next" value="{escape(next_url)}">'
    return _page("登录", f"""<div class="ccg-login"><h2>创城网格 · 登录</h2>{err}
<form method="post" action="/login">
<label>账号<input type="text" name="login" value="{escape(login)}" autocomplete="username" required
 placeholder="手机号或登录名" autofocus></label>
<label>密码<input type="password" name="password" autocomplete="current-password" required></label>
{nxt}<button type="submit">登录</button></form>
<details class="ccg-token-login"><summary>使用访问令牌登录（只读）</summary>
<form method="post" action="/login"><p>请输入创城办发放的访问令牌（ccg_ 开头）。</p>
<input type="password" name="token" autocomplete="off" placeholder="ccg_…" required>
{nxt}<button type="submit">令牌登录</button></form></details></div>""")


def password_page(*, next_url: str, csrf_token: str, error: str | None = None, forced: bool = False) -> str:
    """Change one's own password (required after a reset, before anything else)."""
    err = f'<p class="ccg-error">{escape(error)}</p>' if error else ""
    why = "<p>密码已被重置，请先设置新密码。</p>" if forced else ""
    return _page("修改密码", f"""<div class="ccg-login"><h2>修改密码</h2>{err}{why}
<form method="post" action="/password">
<label>当前密码<input type="password" name="old_password" autocomplete="current-password" required></label>
<label>新密码<input type="password" name="new_password" autocomplete="new-password" required></label>
<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">
<input type="hidden" name="next" value="{escape(next_url)}"><button type="submit">保存</button></form>
<p class="ccg-note">修改后，其他设备上的登录将全部退出。</p></div>""")
