/* The 大屏 (/maps/screen): today's numbers, the trend, categories and areas (ECharts), the 测评 round and the
   heatmap (Leaflet, drawn by maps.js as on the heatmap page), from GET /api/v1/analytics/overview and the heatmap
   API; drawn again every minute without reloading the page. Text from the database reaches the DOM only through
   textContent, and ECharts' tooltips only through esc(). */
(function () {
  "use strict";

  const cfg = JSON.parse(document.getElementById("scr-config").textContent);
  const C = window.CCGRID;  // maps.js
  const esc = (s) => String(s === null || s === undefined ? "" : s)
    .replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"));
  const pct = (r) => (r === null || r === undefined ? "—" : (r * 100).toFixed(1) + "%");

  // What a test (and a person at the console) can look at: charts, refreshes, errors.
  const state = { days: cfg.days, charts: {}, refreshes: 0, errors: [], data: null, busy: false };
  window.CCGRID_SCREEN = state;

  // Colours of the three states of a report, the same in every chart.
  const DONE = "#3ba272", DOING = "#409eff", LATE = "#ff9f43";
  // Canvas text needs real font names (a CSS keyword such as "inherit" leaves it at 10 px sans-serif).
  const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  const TEXT = "#dbe8ff", MUTED = "#7f9cc7", GRID = "rgba(127,156,199,.18)";
  // The heatmap on a dark page: violet to bright yellow, so the densest cells glow and the fewest still show.
  const HEAT_DARK = ["#6a3d9a", "#b63679", "#e8553a", "#fb9b3a", "#fde95e"];

  // ECharts sizes are pixels: scale them with the page (16 px root at 1920×1080).
  const px = (n) => Math.round(n * parseFloat(getComputedStyle(document.documentElement).fontSize) / 16);

  function chart(id) {
    if (!state.charts[id]) {
      state.charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas", locale: "ZH" });
    }
    return state.charts[id];
  }

  function setText(id, text) { document.getElementById(id).textContent = text; }

  function tooltip(title, rows) {
    return "<b>" + esc(title) + "</b><br>" + rows.map(([marker, name, value]) =>
      marker + esc(name) + "：" + esc(value)).join("<br>");
  }

  const axisText = () => ({ color: TEXT, fontSize: px(17) });
  const base = () => ({
    backgroundColor: "transparent", animationDuration: 600, textStyle: { fontFamily: FONT },
    tooltip: { trigger: "axis", backgroundColor: "rgba(4,14,30,.92)", borderColor: "#409eff",
      textStyle: { color: TEXT, fontSize: px(17) } },
    legend: { top: 0, right: px(12), textStyle: { color: TEXT, fontSize: px(17) }, itemWidth: px(22), itemHeight: px(13) },
  });

  function axisTooltip(params) {
    return tooltip(params[0].axisValueLabel || params[0].name, params.map((p) => [p.marker, p.seriesName, num(p.value) + " 件"]));
  }

  // --- today's numbers -------------------------------------------------------------------------------------
  function numbers(d) {
    setText("kpi-today", num(d.today.reported));
    setText("kpi-closed", num(d.today.closed));
    setText("kpi-open", num(d.open));
    setText("kpi-overdue", num(d.overdue));
    setText("kpi-ontime", pct(d.month.on_time_rate));
    setText("kpi-ontime-note", "应结 " + num(d.month.due) + " 件 · 按期 " + num(d.month.closed_on_time) + " 件");
    setText("kpi-km", num(d.coverage.unowned_street_km));
    setText("kpi-places", num(d.coverage.missing));
    setText("kpi-places-note", "处，责任覆盖率 " + (d.coverage.pct === null ? "—" : d.coverage.pct + "%"));
  }

  // --- the trend -------------------------------------------------------------------------------------------
  function trend(d) {
    setText("trend-title", "上报与销号趋势（近" + d.days + "天）");
    const o = base();
    Object.assign(o, {
      grid: { left: px(56), right: px(26), top: px(42), bottom: px(36) },
      tooltip: Object.assign(o.tooltip, { formatter: axisTooltip }),
      xAxis: { type: "category", boundaryGap: false, data: d.trend.map((t) => t.day.slice(5)),
        axisLabel: axisText(), axisLine: { lineStyle: { color: MUTED } } },
      yAxis: { type: "value", minInterval: 1, axisLabel: axisText(), splitLine: { lineStyle: { color: GRID } } },
      series: [
        { name: "上报", type: "line", smooth: 0.3, smoothMonotone: "x", symbol: "none", data: d.trend.map((t) => t.reported),
          lineStyle: { width: px(3), color: DOING }, itemStyle: { color: DOING },
          areaStyle: { color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [
            { offset: 0, color: "rgba(64,158,255,.45)" }, { offset: 1, color: "rgba(64,158,255,0)" }]) } },
        { name: "销号", type: "line", smooth: 0.3, smoothMonotone: "x", symbol: "none", data: d.trend.map((t) => t.closed),
          lineStyle: { width: px(3), color: DONE }, itemStyle: { color: DONE } },
      ],
    });
    chart("chart-trend").setOption(o, true);
  }

  // --- the window's reports by small class, and by 街道 (社区), each split by state ---------------------------
  function stacked(id, rows, label) {
    const shown = rows.slice().reverse();  // a category y axis draws from the bottom: the largest on top
    const o = base();
    const series = [["已办结", "done", DONE], ["办理中", "in_progress", DOING], ["已超期", "overdue", LATE]]
      .map(([name, key, color]) => ({ name, type: "bar", stack: "all", barMaxWidth: px(26), data: shown.map((r) => r[key]),
        itemStyle: { color } }));
    Object.assign(o, {
      grid: { left: px(12), right: px(60), top: px(42), bottom: px(10), containLabel: true },
      tooltip: Object.assign(o.tooltip, { axisPointer: { type: "shadow" }, formatter: (params) => {
        const r = shown[params[0].dataIndex];
        return tooltip(label(r), params.map((p) => [p.marker, p.seriesName, num(p.value) + " 件"]).concat([["", "合计", num(r.reported) + " 件"]]));
      } }),
      xAxis: { type: "value", minInterval: 1, axisLabel: axisText(), splitLine: { lineStyle: { color: GRID } } },
      yAxis: { type: "category", data: shown.map(label), axisLabel: Object.assign(axisText(), { width: px(190), overflow: "truncate" }),
        axisLine: { lineStyle: { color: MUTED } }, axisTick: { show: false } },
      series,
    });
    // The total at the end of each bar.
    series[series.length - 1].label = { show: true, position: "right", color: TEXT, fontSize: px(17),
      formatter: (p) => num(shown[p.dataIndex].reported) };
    chart(id).setOption(o, true);
  }

  function categories(d) {
    setText("categories-title", "问题类别（近" + d.days + "天，前" + d.by_category.length + "类）");
    stacked("chart-categories", d.by_category, (r) => r.name);
  }

  function areas(d) {
    const what = d.area_level === "community" ? "社区" : "街道";
    const rows = d.by_area.slice().sort((a, b) => b.reported - a.reported).slice(0, 15);
    setText("areas-title", "各" + what + "问题（近" + d.days + "天" + (d.by_area.length > rows.length ? "，前" + rows.length + "个" : "") + "）");
    stacked("chart-areas", rows, (r) => r.name);
  }

  // --- the current 测评 round (layers.campaign.rounds.current_round_summary): a gauge of its score rate (per
  // cent), or 暂无测评轮次 ----------------------------------------------------------------------------------------
  function roundRate(r) {
    return r.score_rate === null || r.score_rate === undefined ? null : r.score_rate / 100;
  }

  function round(d) {
    const r = d.round;
    const empty = document.getElementById("round-empty");
    const rate = r ? roundRate(r) : null;
    empty.hidden = !!r;
    document.getElementById("chart-round").style.visibility = r ? "visible" : "hidden";
    if (!r) { setText("round-note", ""); return; }
    const name = r.name || "本轮测评";
    const period = r.period_label || r.period || "";
    const visits = " · " + (r.state === "closed" ? "已结束，" : "") + "已测 " + num(r.visited) + "/" + num(r.sampled) + " 个点位";
    // A round's name usually says its period already (2026年11—12月双月测评): then not twice.
    const said = name.includes(period) || name.includes(String(r.period || "").slice(0, 4));
    setText("round-note", name + (period && !said ? "（" + period + "）" : "") + visits);
    chart("chart-round").setOption({
      backgroundColor: "transparent", textStyle: { fontFamily: FONT },
      series: [{ type: "gauge", min: 0, max: 100, radius: "96%", center: ["50%", "60%"], startAngle: 210, endAngle: -30,
        progress: { show: true, width: px(26), itemStyle: { color: rate !== null && rate < 0.8 ? LATE : DONE } },
        axisLine: { lineStyle: { width: px(26), color: [[1, "rgba(127,156,199,.2)"]] } },
        axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false }, pointer: { show: false },
        title: { show: true, offsetCenter: [0, "40%"], color: MUTED, fontSize: px(20) },
        detail: { valueAnimation: true, offsetCenter: [0, "0%"], fontSize: px(60), fontWeight: "bold", color: "#fff",
          formatter: (v) => (rate === null ? "—" : v.toFixed(1) + "%") },
        data: [{ value: rate === null ? 0 : Math.round(rate * 1000) / 10, name: "得分率" }] }],
    }, true);
  }

  // --- the heatmap: the pre-binned hexagons, for the whole months the window reaches into ---------------------
  // Once, on the first draw: the map opens on the densest cells that hold 80 % of the reports (a county's
  // villages, or a district's fields, would otherwise shrink the town to a few pixels); refreshes leave it there.
  function fitCore(layer, total) {
    const cells = layer.getLayers().sort((a, b) => b.feature.properties.count - a.feature.properties.count);
    const core = L.latLngBounds([]);
    let sum = 0;
    for (const cell of cells) {
      core.extend(cell.getBounds());
      sum += cell.feature.properties.count;
      if (sum >= 0.8 * total) break;
    }
    state.map.fitBounds(core.pad(0.25), { animate: false, maxZoom: 14 });
    state.fitted = true;
  }

  // The cell size from the zoom (about 14 screen pixels a cell: the wall is read from across the room), served from
  // the pre-binned counts; the view's box only, so a county's villages are not shipped to draw the town.
  async function heat(d) {
    const params = { cell: "hex", size_m: C.cellSize(state.map, 14, 250), since: d.heatmap_since, region: cfg.region };
    if (state.fitted) {
      const b = state.map.getBounds();
      params.bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
    }
    const data = await C.getJSON("/api/v1/analytics/heatmap", params);
    const drawn = C.heatLayer(data, params, { palette: HEAT_DARK, empty: "transparent", line: "rgba(0,0,0,0)" });
    C.replace(state.map, "heat", drawn.layer, data.features.length);
    if (!state.fitted && data.features.length) {
      fitCore(drawn.layer, data.total);
      return heat(d);  // again at the size the core's zoom wants, for its view
    }
    C.legend(state.map, "问题数（件/格）", drawn.rows, drawn.note);
    const [y, m] = d.heatmap_since.split("-");
    setText("map-title", "问题热力图（" + y + "年" + Number(m) + "月以来）");
  }

  // --- refresh ---------------------------------------------------------------------------------------------
  async function refresh() {
    if (state.busy) return;  // a slow answer: the next tick asks again
    state.busy = true;
    try {
      const d = await C.getJSON("/api/v1/analytics/overview", { region: cfg.region, days: state.days });
      state.data = d;
      numbers(d); trend(d); categories(d); areas(d); round(d);
      await heat(d);
      state.refreshes += 1;
      const at = new Date(d.as_of);
      const el = document.getElementById("scr-updated");
      el.className = "scr-updated";
      el.textContent = "数据更新于 " + at.toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
    } catch (e) {
      state.errors.push(String(e.message || e));
      const el = document.getElementById("scr-updated");
      el.className = "scr-updated err";
      el.textContent = "更新失败，1分钟后重试";
    } finally {
      state.busy = false;
      if (!document.body.dataset.screenReady) {
        document.body.dataset.screenReady = "1";
        performance.mark("ccgrid:ready");
      }
    }
  }

  function clock() {
    const now = new Date();
    setText("scr-clock", now.toLocaleDateString("zh-CN", { year: "numeric", month: "long", day: "numeric", weekday: "long",
      timeZone: "Asia/Shanghai" }) + " " + now.toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" }));
  }

  function windowButtons() {
    const buttons = document.querySelectorAll(".scr-window button");
    const mark = () => buttons.forEach((b) => b.setAttribute("aria-pressed", String(Number(b.dataset.days) === state.days)));
    buttons.forEach((b) => b.addEventListener("click", () => {
      state.days = Number(b.dataset.days);
      mark();
      const url = new URL(window.location.href);
      url.searchParams.set("days", state.days);
      history.replaceState(null, "", url);  // a reload of the wall keeps the window
      refresh();
    }));
    mark();
  }

  async function start() {
    clock();
    setInterval(clock, 1000);
    windowButtons();
    const map = L.map("scr-map", { zoomControl: false, attributionControl: false, zoomSnap: 0.25 });
    map.fitBounds(cfg.bounds, { animate: false, padding: [8, 8] });
    state.map = map;
    try {
      await C.cityLayers(map, { page: "screen", dark: true });
    } catch (e) {
      state.errors.push(String(e.message || e));
    }
    await refresh();
    setInterval(refresh, cfg.refresh_s * 1000);
    window.addEventListener("resize", () => {
      map.invalidateSize();
      if (state.data) { trend(state.data); categories(state.data); areas(state.data); round(state.data); }
      Object.values(state.charts).forEach((c) => c.resize());
    });
  }

  start();
})();
