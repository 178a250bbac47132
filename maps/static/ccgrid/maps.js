/* ccgrid map pages: load data from the API (same origin, session cookie), draw it, redraw when filters change.
   Every text from the database goes through esc() or textContent: report text must never become HTML. */
(function () {
  "use strict";

  const esc = (s) => String(s === null || s === undefined ? "" : s)
    .replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const fmt = (n, d) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN", { maximumFractionDigits: d === undefined ? 1 : d }));
  const pct = (r) => (r === null || r === undefined ? "—" : (r * 100).toFixed(1) + "%");

  // seq: a newer request (filter change, pan) makes older answers stale; they are dropped, not drawn.
  const state = { drawn: {}, ready: false, errors: [], seq: 0 };
  window.CCGRID_STATE = state;

  function setStatus(text, isError) {
    const el = document.getElementById("ccg-status");
    if (el) { el.textContent = text; el.className = isError ? "ccg-status ccg-error" : "ccg-status"; }
    if (isError) state.errors.push(text);
  }

  async function getJSON(path, params) {
    const url = new URL(path, window.location.origin);
    Object.entries(params || {}).forEach(([k, v]) => {
      if (Array.isArray(v)) v.forEach((x) => url.searchParams.append(k, x));
      else if (v !== "" && v !== null && v !== undefined) url.searchParams.set(k, v);
    });
    const r = await fetch(url, { credentials: "same-origin" });
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      throw new Error(body.detail || r.status + " " + r.statusText);
    }
    return r.json();
  }

  function formValues() {
    const form = document.getElementById("ccg-filters");
    const out = {};
    if (!form) return out;
    new FormData(form).forEach((v, k) => {
      if (v === "") return;
      if (k in out) out[k] = [].concat(out[k], v); else out[k] = v;
    });
    return out;
  }

  function bboxOf(map) {
    const b = map.getBounds();
    const c = (v, lo, hi) => Math.min(hi, Math.max(lo, v)).toFixed(5);
    return [c(b.getWest(), -180, 180), c(b.getSouth(), -90, 90), c(b.getEast(), -180, 180), c(b.getNorth(), -90, 90)].join(",");
  }

  // A legend control whose rows are [colour, label] pairs; labels are escaped.
  function legend(map, title, rows, note) {
    if (state.legend) map.removeControl(state.legend);
    const ctl = L.control({ position: "bottomright" });
    ctl.onAdd = () => {
      const div = L.DomUtil.create("div", "ccg-legend");
      div.innerHTML = "<b>" + esc(title) + "</b>" + rows.map(([colour, label, dashed]) =>
        '<div><i style="background:' + esc(colour) + (dashed ? ";border:2px dashed " + esc(colour) + ";background:none" : "") +
        '"></i>' + esc(label) + "</div>").join("") + (note ? '<div class="ccg-note">' + esc(note) + "</div>" : "");
      return div;
    };
    ctl.addTo(map);
    state.legend = ctl;
  }

  function table(rows) {
    return "<table class='ccg-popup'>" + rows.map(([k, v]) => "<tr><th>" + esc(k) + "</th><td>" + esc(v) + "</td></tr>").join("") + "</table>";
  }

  // Thousands of shapes draw far faster on one canvas than as SVG elements.
  const renderer = (data) => (data.features.length > 2000 ? L.canvas({ padding: 0.2 }) : undefined);

  function replace(map, key, layer, count) {
    if (state[key]) map.removeLayer(state[key]);
    state[key] = layer.addTo(map);
    state.drawn[key] = count;
  }

  // --- The city's own layers: enough to read the map with no basemap at all -------------------------------
  // Region outlines on a light page, and on the 大屏's dark one (cfg.dark).
  const OUTLINES = { light: ["#333", "#555", "#888"], dark: ["#8fb8de", "#5d87ad", "#3f5f7d"] };

  async function cityLayers(map, cfg) {
    const regions = await getJSON("/api/v1/layers/regions/features", { limit: 10000 });
    state.regionsData = regions;  // the ranking's choropleth draws these same shapes: asked for once
    // Each region's extent, so that choosing one in the filters flies the map there.
    state.regionBounds = Object.fromEntries(regions.features.map((f) => [f.properties.code, L.geoJSON(f).getBounds()]));
    const [c1, c2, c3] = OUTLINES[cfg.dark ? "dark" : "light"];
    const style = (f) => ({
      district: { color: c1, weight: 3, fill: false },
      subdistrict: { color: c2, weight: 2, fill: false, dashArray: "6 4" },
      community: { color: c3, weight: 1, fill: false, dashArray: "2 4" },
    }[f.properties.level] || { color: c3, weight: 1, fill: false });
    const outlines = L.geoJSON(regions, { style, interactive: false });
    replace(map, "regions", outlines, regions.features.length);
    outlines.bringToBack();
    const labels = L.layerGroup();
    regions.features.filter((f) => f.properties.level !== "district").forEach((f) => {
      const centre = L.geoJSON(f).getBounds().getCenter();
      const cls = f.properties.level === "subdistrict" ? "ccg-label ccg-label-big" : "ccg-label";
      L.marker(centre, { icon: L.divIcon({ className: cls, html: esc(f.properties.name), iconSize: null }), interactive: false })
        .addTo(labels);
    });
    replace(map, "labels", labels, labels.getLayers().length);
    // Community names only once they have room.
    const crowd = () => map.getContainer().classList.toggle("ccg-z-low", map.getZoom() < 13);
    map.on("zoomend", crowd);
    crowd();
    if (!cfg.dark && L.vectorGrid) referenceStreets(map);
  }

  // The city's own streets as a light reference layer (a basemap that works offline): drawn from /tiles/basemap
  // from z10 (main roads; every lane from z14); from z16 each street's name once, at the middle of its longest segment in view.
  const STREET_WEIGHT = { arterial: 3, secondary: 2, branch: 1.2, back_lane: 1 };
  function referenceStreets(map) {
    state.streets = vectorTiles(map, "/tiles/basemap/{z}/{x}/{y}.mvt", 10, { interactive: false, zIndex: 2,
      vectorTileLayerStyles: { basemap: (p, z) => ({ color: "#aab4bd", opacity: 0.9,
        weight: (STREET_WEIGHT[p.road_class] || 1) * (z >= 15 ? 1.6 : 1) }) } });
    const names = L.layerGroup().addTo(map);
    let asked = 0;
    const label = async () => {
      const mine = ++asked;
      if (map.getZoom() < 16) { names.clearLayers(); return; }
      const data = await getJSON("/api/v1/layers/streets/features", { bbox: bboxOf(map), limit: 2000 });
      if (mine !== asked) return;
      const best = {};
      data.features.forEach((f) => {
        const n = f.properties.name;
        if (n && (!best[n] || f.properties.length_m > best[n].properties.length_m)) best[n] = f;  // one per name
      });
      names.clearLayers();
      // Each name where its street passes closest to the middle of the view, so it is on screen.
      const mid = map.getSize().divideBy(2);
      Object.values(best).forEach((f) => {
        const pts = L.geoJSON(f).getLayers()[0].getLatLngs().flat(3).map((ll) => map.latLngToContainerPoint(ll));
        let at = pts[0], dist = Infinity;
        for (let i = 1; i < pts.length; i++) {
          const c = L.LineUtil.closestPointOnSegment(mid, pts[i - 1], pts[i]);
          if (c.distanceTo(mid) < dist) { dist = c.distanceTo(mid); at = c; }
        }
        at = map.containerPointToLatLng(at);
        L.marker(at, { icon: L.divIcon({ className: "ccg-street-name", html: esc(f.properties.name), iconSize: null }),
          interactive: false, keyboard: false }).addTo(names);
      });
      state.drawn.street_names = names.getLayers().length;
    };
    map.on("moveend", () => label().catch((e) => setStatus(e.message, true)));
    label().catch((e) => setStatus(e.message, true));
  }

  // --- Heatmap -----------------------------------------------------------------------------------------------
  const HEAT = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#e6550d", "#a63603"];

  function breaks(values) {
    const v = values.filter((x) => x > 0).sort((a, b) => a - b);
    if (!v.length) return [1];
    const q = [0.2, 0.4, 0.6, 0.8].map((p) => v[Math.min(v.length - 1, Math.floor(p * v.length))]);
    return Array.from(new Set([v[0], ...q])).sort((a, b) => a - b);
  }

  // The problem list of exactly one cell, under the heatmap's filters: the cell by its key (a hexagon's box would
  // take in parts of its neighbours), and the view's bbox only when the counts were of the reports inside it.
  function cellListURL(params, data, feature) {
    const q = new URLSearchParams();
    ["category", "status", "source", "since", "until", "region"].forEach((k) => { if (params[k]) q.set(k, params[k]); });
    q.set("cell", data.cell);
    q.set("cell_key", feature.id);
    if (data.size_m) q.set("size_m", data.size_m);
    if (data.clipped && params.bbox) q.set("bbox", params.bbox);
    return "/maps/problems?" + q.toString();
  }

  // The heatmap's cells as a layer, and its legend's rows: the heatmap page and the 大屏 (screen.js) draw it alike.
  // opts.palette: five colours from few to many (a dark page wants its own), opts.empty: a cell with no report.
  function heatLayer(data, params, opts) {
    const o = Object.assign({ palette: HEAT, empty: "#fff", line: "#a63603" }, opts);
    const b = breaks(data.features.map((x) => x.properties.count));
    // Class k holds counts from b[k] up to the next break (b has at most as many breaks as the palette has colours),
    // so no two classes share a colour.
    const colour = (n) => { let i = 0; while (i < b.length && n >= b[i]) i++; return o.palette[Math.max(0, i - 1)]; };
    const layer = L.geoJSON(data, {
      renderer: renderer(data),
      style: (x) => ({ color: o.line, weight: 0.5, fillColor: x.properties.count ? colour(x.properties.count) : o.empty,
        fillOpacity: x.properties.count ? 0.75 : 0.15 }),
      onEachFeature: (x, l) => {
        const p = x.properties;
        l.bindPopup(table([["名称", p.name || p.code || "网格单元"], ["问题数", fmt(p.count, 0) + " 件"], ["未办结", fmt(p.open, 0) + " 件"],
          ["超期", fmt(p.overdue, 0) + " 件"], ["密度", fmt(p.per_km2) + " 件/km²"],
          ["每公里道路", p.per_street_km === undefined ? "—" : fmt(p.per_street_km) + " 件/km"]]) +
          (p.count ? '<a class="ccg-cell-list" href="' + esc(cellListURL(params, data, x)) + '">查看这些问题 (' + fmt(p.count, 0) + ")</a>" : ""));
      },
    });
    const rows = b.map((v, i) => [o.palette[i], i + 1 < b.length
      ? (b[i + 1] - 1 > v ? fmt(v, 0) + "–" + fmt(b[i + 1] - 1, 0) : fmt(v, 0)) + " 件" : "≥ " + fmt(v, 0) + " 件"]);
    const note = "合计 " + fmt(data.total, 0) + " 件；格网：" + ({ hex: "六边形", square: "方格", grid_cell: "单元网格", community: "社区" }[data.cell]) +
      (data.size_m ? " " + fmt(data.size_m, 0) + " 米" : "");
    return { layer, rows, note };
  }

  // A hexagon size for the zoom: the first that is at least `px` screen pixels across, rounded to a size people can
  // talk about, none below `smallest` (the 大屏 keeps to sizes the bins hold).
  const CELL_SIZES = [50, 100, 250, 500, 1000, 2000, 5000, 10000];
  function cellSize(map, px, smallest) {
    const mpp = 156543 * Math.cos(map.getCenter().lat * Math.PI / 180) / Math.pow(2, map.getZoom());
    return CELL_SIZES.find((s) => s >= smallest && s >= mpp * px) || 20000;
  }

  async function heatmap(map) {
    const f = formValues();
    const params = Object.assign({}, f);
    delete params.size_m;
    if (f.cell === "hex" || f.cell === "square" || !f.cell) {
      params.size_m = f.size_m;
      params.bbox = bboxOf(map);
      if (!f.size_m || f.size_m === "auto") params.size_m = cellSize(map, 24, 50);  // ~24 screen pixels a cell
    }
    setStatus("加载中…");
    const mine = ++state.seq;
    const data = await getJSON("/api/v1/analytics/heatmap", params);
    if (mine !== state.seq) return;
    const heat = heatLayer(data, params);
    replace(map, "heat", heat.layer, data.features.length);
    state.drawnSeq = mine;
    legend(map, "问题数（件/格）", heat.rows, heat.note);
    setStatus("共 " + fmt(data.total, 0) + " 件问题，" + fmt(data.features.length, 0) + " 个格");
  }

  // --- Coverage gaps -----------------------------------------------------------------------------------------
  const GAP = {
    ownership: ["#d7191c", "无人负责（缺责任人）"], patrol: ["#fdae61", "未按期巡查"], grid_gap: ["#2c7bb6", "网格未覆盖"],
    grid_overlap: ["#7b3294", "网格交叉重叠"], service: ["#1a9641", "设施步行可达盲区"],
  };

  // 无人负责 and 未按期巡查 can be tens of thousands of places: drawn from /tiles/gaps/<kind>/…, whole city, no cap.
  // The few large polygons (grid gaps and overlaps, service reach) come as GeoJSON. The legend is the server's
  // summary over the view, never a count of what was drawn.
  const GAP_TILE_KINDS = ["patrol", "ownership"];  // in drawing order: 无人负责 on top
  const GAP_TILE_MIN_ZOOM = { ownership: 8, patrol: 13 };  // as layers/analytics/gap_tiles.py

  function gapPopup(kind, p) {
    const rows = [["类型", GAP[kind][1]], ["名称", p.name || "（放大查看）"]];
    if (p.missing) rows.push(["缺少", p.missing]);
    if (kind === "patrol") rows.push(["巡查周期", p.duty_days + " 天"], ["上次巡查", p.days_since === undefined ? "从未" : p.days_since + " 天前"]);
    return table(rows);
  }

  function gapTiles(map, kind, f) {
    const q = new URLSearchParams({ v: state.ownersVersion });
    if (f.layer) q.set("layer", f.layer);
    if (kind === "patrol" && f.inspected_within_days) q.set("inspected_within_days", f.inspected_within_days);
    const colour = GAP[kind][0];
    const styles = kind === "ownership" ? {
      ownership_streets: (p, z) => ({ color: colour, weight: z < 13 ? 2.5 : 4 }),
      ownership_assessment_points: (p, z) => ({ radius: z < 14 ? 4 : 7, color: "#fff", weight: 1, fill: true, fillColor: colour, fillOpacity: 0.9 }),
      ownership_grid_cells: () => ({ color: colour, weight: 1.5, fill: true, fillColor: colour, fillOpacity: 0.35 }),
    } : { patrol: (p, z) => (p.layer === "streets" ? { color: colour, weight: z < 13 ? 2 : 4, dashArray: "4 4" }
        : { radius: z < 14 ? 3 : 6, color: colour, weight: 2, fill: true, fillColor: "#fff", fillOpacity: 0.8 }) };
    const vg = vectorTiles(map, "/tiles/gaps/" + kind + "/{z}/{x}/{y}.mvt?" + q, GAP_TILE_MIN_ZOOM[kind],
      { vectorTileLayerStyles: styles, interactive: true, zIndex: 3 });
    vg.on("click", (e) => L.popup().setLatLng(e.latlng).setContent(gapPopup(kind, e.layer.properties)).openOn(map));
    return vg;
  }

  function tileCount(vg) {
    return Object.values(vg._tiles || {}).length;
  }

  async function coverage(map) {
    const f = formValues();
    setStatus("加载中…");
    const mine = ++state.seq;
    const kinds = [].concat(f.kind || []);
    const tiled = GAP_TILE_KINDS.filter((k) => kinds.includes(k));
    const network = f.method === "network" && kinds.includes("service");  // drawn by networkReach
    const shapes = kinds.filter((k) => !GAP_TILE_KINDS.includes(k) && !(network && k === "service"));
    // Tiles are made again only when what they show changes (kinds, layer, patrol days, a write), not on a pan.
    const key = [tiled.join(","), f.layer || "", f.inspected_within_days || "", state.ownersVersion].join("|");
    if (state.gapTilesKey !== key) {
      (state.gapTiles || []).forEach((l) => l.ungate());
      state.gapTiles = tiled.map((k) => gapTiles(map, k, f));
      state.gapTilesKey = key;
    }
    const params = Object.assign({ bbox: bboxOf(map) }, f);
    const reaching = networkReach(map, network ? params : null, mine);
    // One legend request per tiled kind: they run side by side on the server.
    const [legendData, data] = await Promise.all([
      Promise.all(tiled.map((k) => getJSON("/api/v1/analytics/coverage", Object.assign({}, params, { kind: k, geometry: false }))))
        .then((answers) => ({ summary: Object.assign({}, ...answers.map((a) => a.summary)) })),
      shapes.length ? getJSON("/api/v1/analytics/coverage", Object.assign({}, params, { kind: shapes, limit: 1500 }))
        : Promise.resolve({ type: "FeatureCollection", features: [], summary: {}, truncated: [], kinds: [] }),
      ...state.gapTiles.map((l) => l.loaded()),
    ]);
    const reached = await reaching;
    if (mine !== state.seq) return;
    const shared = renderer(data);
    const layer = L.geoJSON(data, {
      renderer: shared,
      style: (x) => ({ color: GAP[x.properties.kind][0], weight: 1.5, fillOpacity: 0.35 }),
      onEachFeature: (x, l) => {
        const p = x.properties;
        const rows = [["类型", GAP[p.kind][1]], ["名称", p.name || p.code || ""], ["区划", p.region_code]];
        if (p.area_m2) rows.push(["面积", fmt(p.area_m2 / 1e6, 3) + " km²"]);
        if (p.facility) rows.push(["设施", p.facility + "（" + fmt(p.walk_m, 0) + " 米）"]);
        l.bindPopup(table(rows));
      },
    });
    replace(map, "gaps", layer, data.features.length + state.gapTiles.reduce((n, l) => n + tileCount(l), 0));
    state.drawnSeq = mine;
    const s = Object.assign({}, legendData.summary, data.summary, reached ? reached.summary : {});
    legend(map, "覆盖缺口（视图内）", kinds.map((k) => [GAP[k][0], GAP[k][1] + "：" + fmt((s[k] || {}).count || 0, 0) + " 处" +
      ((s[k] || {}).length_m ? "，" + fmt(s[k].length_m / 1000, 2) + " km" : "") +
      ((s[k] || {}).area_m2 ? "，" + fmt(s[k].area_m2 / 1e6, 2) + " km²" : ""), k === "patrol"]).concat(reached ? reached.rows : []),
      kinds.includes("service") ? (reached ? reached.note : "可达范围按直线距离计算") : null);
    state.gapSummary = s;
    const total = kinds.reduce((n, k) => n + ((s[k] || {}).count || 0), 0);
    setStatus("视图内共 " + fmt(total, 0) + " 处缺口" +
      (tiled.filter((k) => map.getZoom() < GAP_TILE_MIN_ZOOM[k]).map((k) => "（放大可见" + GAP[k][1] + "的位置）").join("")) +
      (data.truncated.length ? "（" + data.truncated.map((k) => GAP[k][1]).join("、") + " 只画出一部分，请选择更小的区域）" : ""));
  }

  // --- Walking reach along the street network (coverage page, method=network) ------------------------------
  // Reached streets coloured by the walk to them (minutes at the server's walking speed), the grid cells whose
  // centre is beyond reach hatched. params null: the straight-line method is chosen, the layer goes.
  const WALK = [[5, "#08519c"], [10, "#3182bd"], [15, "#6baed6"], [Infinity, "#bdd7e7"]];  // near: dark
  const walkColour = (min) => WALK.find(([upto]) => min <= upto)[1];

  function hatchRenderer(map) {
    if (state.hatch) return state.hatch;
    const r = L.svg({ padding: 0.2 }).addTo(map);  // SVG: a pattern fill needs it (canvas has none)
    const svg = r._container;
    const ns = "http://www.w3.org/2000/svg";
    const defs = document.createElementNS(ns, "defs");
    const pattern = document.createElementNS(ns, "pattern");
    Object.entries({ id: "ccg-hatch", width: "8", height: "8", patternUnits: "userSpaceOnUse",
      patternTransform: "rotate(45)" }).forEach(([k, v]) => pattern.setAttribute(k, v));
    const line = document.createElementNS(ns, "line");
    Object.entries({ x1: "0", y1: "0", x2: "0", y2: "8", stroke: GAP.service[0], "stroke-width": "3" })
      .forEach(([k, v]) => line.setAttribute(k, v));
    pattern.appendChild(line);
    defs.appendChild(pattern);
    svg.insertBefore(defs, svg.firstChild);
    state.hatch = r;
    return r;
  }

  async function networkReach(map, params, mine) {
    if (!params) {
      if (state.reach) { map.removeLayer(state.reach); state.reach = null; state.drawn.reach = 0; }
      return null;
    }
    const data = await getJSON("/api/v1/analytics/coverage", Object.assign({}, params,
      { kind: "service", method: "network", limit: 20000 }));
    if (mine !== state.seq) return null;  // a newer view is being drawn
    const svg = hatchRenderer(map);
    const layer = L.geoJSON(data, {
      renderer: svg,
      style: (x) => (x.properties.kind === "reach"
        ? { color: walkColour(x.properties.walk_min), weight: 4, opacity: 0.9 }
        : { color: GAP.service[0], weight: 1.5, fillColor: "url(#ccg-hatch)", fillOpacity: 0.6 }),
      onEachFeature: (x, l) => {
        const p = x.properties;
        l.bindPopup(table(p.kind === "reach"
          ? [["道路", p.name || p.code || ""], ["设施", p.facility], ["步行", fmt(p.distance_m, 0) + "–" + fmt(p.mid_m * 2 - p.distance_m, 0) + " 米（约 " + fmt(p.walk_min, 0) + " 分钟）"]]
          : [["网格", p.code || p.name || ""], ["设施", p.facility + "（" + fmt(p.walk_m, 0) + " 米内不可达）"],
            ["步行距离", p.distance_m === null || p.distance_m === undefined ? "无路可达" : fmt(p.distance_m, 0) + " 米"],
            ["面积", fmt(p.area_m2 / 1e6, 3) + " km²"]]));
      },
    });
    if (state.reach) map.removeLayer(state.reach);
    state.reach = layer.addTo(map);
    state.drawn.reach = data.features.length;
    const fac = (data.service || {}).facilities || [];
    const speed = (data.service || {}).speed_kmh;
    const rows = WALK.map(([upto, c], i) => [c, "步行 " + (i ? WALK[i - 1][0] : 0) + (upto === Infinity ? " 分钟以上" : "–" + upto + " 分钟") + "可达道路"])
      .concat([[GAP.service[0], "中心点不可达的网格（斜线）", true]]);
    const share = fac.map((x) => x.facility + " " + pct(x.area_share)).join("，");
    return { summary: data.summary, rows, note: "按步行路网计算（网格中心点，步速 " + fmt(speed, 1) + " km/h）" + (share ? "；视图内可达面积：" + share : "") +
      (data.truncated.length ? "；只画出一部分，请放大" : "") };
  }

  // --- Owners: each street coloured by its owner, unowned in red -------------------------------------------
  const OWNER_COLOURS = ["#1f78b4", "#33a02c", "#6a3d9a", "#ff7f00", "#b15928", "#a6cee3", "#b2df8a", "#cab2d6", "#fdbf6f", "#01665e"];
  const colourOf = (key) => { let h = 0; for (const c of key) h = (h * 31 + c.charCodeAt(0)) >>> 0; return OWNER_COLOURS[h % OWNER_COLOURS.length]; };

  const OWNER_LAYERS = { streets: "道路", assessment_points: "测评点位", grid_cells: "单元网格" };

  // Owned places wear their primary owner's colour; a place lacking a role its coverage rules require is red
  // (dashed when it has no owner at all), and one no rule asks about, without owner, light grey: the same
  // definition as the coverage report's. With the owners panel on the page (owners_map.js) a click opens the
  // place there ("ccgrid:place"); otherwise a popup tells who owns it.
  function ownerStyle(layer, p, selected) {
    const colour = p.uncovered ? "#e31a1c" : p.owned ? colourOf(p.colour_key) : "#bbb";
    const ring = selected ? { color: "#00bcd4", weight: layer === "streets" ? 9 : 4 } : {};
    if (layer === "streets") return Object.assign(p.owned ? { color: colour, weight: 4 }
      : p.uncovered ? { color: colour, weight: 5, dashArray: "8 5" } : { color: colour, weight: 2 }, ring);
    if (layer === "grid_cells") return Object.assign({ color: colour, weight: 1.5, fillColor: colour, fillOpacity: p.owned ? 0.15 : 0.3,
      dashArray: p.owned ? null : "4 3" }, ring);
    return Object.assign({ radius: 7, color: "#fff", weight: 1.5, fillColor: colour, fillOpacity: 0.95 }, selected ? { color: "#00bcd4", weight: 4 } : {});
  }

  // Leaflet.VectorGrid 1.3.0 calls L.DomEvent.fakeStop, which Leaflet 1.8 removed. A click on a drawn place stops
  // there (the map itself does not see it), except while the bulk polygon is being drawn: then it is a vertex.
  if (window.L && L.DomEvent && !L.DomEvent.fakeStop) {
    L.DomEvent.fakeStop = (e) => { if (!state.drawing) L.DomEvent.stopPropagation(e); };
  }
  // A tile layer on the map only from its first zoom. Not the layer's own minZoom option: Leaflet makes the largest
  // minZoom of any layer the map's, and the map would jump to z13 for the patrol layer.
  function zoomGated(map, layer, minZoom) {
    const gate = () => {
      const on = map.getZoom() >= minZoom;
      if (on && !map.hasLayer(layer)) layer.addTo(map);
      else if (!on && map.hasLayer(layer)) map.removeLayer(layer);
    };
    map.on("zoomend", gate);
    layer.ungate = () => { map.off("zoomend", gate); if (map.hasLayer(layer)) map.removeLayer(layer); };
    gate();
    return layer;
  }

  // A layer of our vector tiles, on the map from its first zoom, with what all of them share. `loaded()` resolves
  // when the view's tiles have landed (at once below the first zoom: nothing to fetch).
  function vectorTiles(map, url, minZoom, options) {
    const vg = L.vectorGrid.protobuf(url, Object.assign({ rendererFactory: L.canvas.tile, maxNativeZoom: 18, maxZoom: 19,
      fetchOptions: { credentials: "same-origin" } }, options));
    vg.loaded = () => new Promise((resolve) => {
      if (map.getZoom() < minZoom || !vg.isLoading()) { resolve(); return; }
      vg.once("load", resolve);
    });
    return zoomGated(map, vg, minZoom);
  }

  const OWNER_MIN_ZOOM = { streets: 8, assessment_points: 11, grid_cells: 11 };
  state.ownersVersion = Date.now();  // a write bumps it (CCGRID.changed): new tile URLs, nothing stale

  // Every place of the layer comes from the vector tiles (/tiles/owners_<layer>/…), styled from its attributes.
  function ownerTileStyle(layerName) {
    return (p, z) => {
      const s = ownerStyle(layerName, { owned: !!p.owned, uncovered: !!p.missing, colour_key: p.colour_key || "" },
        state.selectedPlace && state.selectedPlace.layer === layerName && state.selectedPlace.id === p.id);
      if (layerName === "streets" && z < 13) s.weight = Math.max(1.5, s.weight - 1.5);
      if (layerName === "assessment_points") Object.assign(s, { fill: true, radius: z < 14 ? 4 : 7 });
      if (layerName === "grid_cells") s.fill = true;
      return s;
    };
  }

  function ownerTiles(map, layerName) {
    const name = "owners_" + layerName;
    const style = ownerTileStyle(layerName);
    const vg = vectorTiles(map, "/tiles/" + name + "/{z}/{x}/{y}.mvt?v=" + state.ownersVersion, OWNER_MIN_ZOOM[layerName],
      { vectorTileLayerStyles: { [name]: style }, interactive: true, getFeatureId: (f) => f.properties.id, zIndex: 3 });
    vg.layerName = layerName;
    vg.ownerStyle = style;
    const title = (p) => (p.name || "") + (p.owner ? "：" + p.owner : p.missing ? "：无人负责" : "");
    vg.on("mouseover", (e) => {
      const p = e.layer.properties;
      if (p.name) map.openTooltip(title(p), e.latlng, { sticky: true, direction: "top", offset: [0, -6] });
    });
    vg.on("mouseout", () => map.eachLayer((l) => { if (l instanceof L.Tooltip) map.closeTooltip(l); }));
    vg.on("click", (e) => {
      if (state.drawing) return;  // a vertex of the bulk polygon, not a choice of place
      const p = e.layer.properties;
      document.dispatchEvent(new CustomEvent("ccgrid:place", { detail: { layer: layerName, id: p.id, title: p.name || "" } }));
    });
    return vg;
  }

  // What the tiles hold now (a test looks a place up by id; the count is what bench/pages.py reports).
  function ownerFeatures(vg) {
    const out = {};
    Object.values(vg._vectorTiles || {}).forEach((tile) => Object.entries(tile._features || {}).forEach(([id, d]) => {
      out[id] = d.feature.properties;
    }));
    return out;
  }

  async function owners(map) {
    const f = formValues();
    const layerName = f.layer || "streets";
    setStatus("加载中…");
    const mine = ++state.seq;
    const key = layerName + ":" + state.ownersVersion;
    if (state.ownersKey !== key) {
      if (state.owners) state.owners.ungate();
      state.owners = ownerTiles(map, layerName);
      state.ownersKey = key;
      state.ringed = null;
    }
    const vg = state.owners;
    // The chosen place wears a ring in every tile it crosses.
    const sel = state.selectedPlace && state.selectedPlace.layer === layerName ? state.selectedPlace.id : null;
    if (state.ringed !== null && state.ringed !== undefined && state.ringed !== sel) vg.resetFeatureStyle(state.ringed);
    if (sel !== null) vg.setFeatureStyle(sel, (p, z) => vg.ownerStyle(p, z));
    state.ringed = sel;
    // The legend's totals are the server's, over the whole view (and the region chosen), never what was drawn.
    const totals = await getJSON("/api/v1/analytics/owners/totals", { layer: layerName, bbox: bboxOf(map), region: f.region });
    await vg.loaded();
    if (mine !== state.seq) return;
    state.ownerFeatures = () => ownerFeatures(vg);
    state.drawn.owners = Object.keys(ownerFeatures(vg)).length;
    state.drawnSeq = mine;  // what is on the map answers the latest request (a test waits for it)
    const name = OWNER_LAYERS[layerName];
    legend(map, name + "责任人", [["#1f78b4", "有责任人（颜色区分责任人）"], ["#e31a1c", "缺覆盖规则要求的责任人", layerName !== "assessment_points"],
      ["#bbb", "无需指定责任人"]],
      layerName === "streets" ? "视图内按覆盖规则：已落实 " + fmt(totals.covered_km, 2) + " km，缺责任人 " + fmt(totals.uncovered_km, 2) + " km"
        : "视图内按覆盖规则：已落实 " + fmt(totals.covered_count, 0) + " 处，缺责任人 " + fmt(totals.uncovered_count, 0) + " 处");
    state.ownerTotals = totals;
    const low = map.getZoom() < OWNER_MIN_ZOOM[layerName];
    setStatus("视图内 " + fmt(totals.places, 0) + " 个" + (layerName === "streets" ? "路段" : name) +
      (low ? "（请放大查看）" : layerName === "streets" && map.getZoom() < 14 ? "（主干道、次干道及覆盖规则要求的道路；放大可见全部）" : ""));
  }

  // --- Ranking choropleth + 红黑榜 table -------------------------------------------------------------------
  const RANK = ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027"];
  const METRIC_NAMES = { on_time_rate: "按期结案率", closure_rate: "结案率", rework_rate: "返工率", overdue_rate: "超期率",
    per_street_km: "每公里问题数", per_point: "每个点位问题数", escalations: "问责升级次数" };

  async function ranking(map) {
    const f = formValues();
    if (PLANNING[f.sort]) return planningRanking(map, f);
    showPlanningTable(false);
    setStatus("加载中…");
    const mine = ++state.seq;
    const level = f.level || "subdistrict";
    const data = await getJSON("/api/v1/analytics/ranking", f);
    const regions = state.regionsData;
    if (mine !== state.seq) return;
    const byKey = Object.fromEntries(data.rows.map((r) => [r.key, r]));
    const ranked = data.rows.filter((r) => r.ranked).length;
    // First ranked is deep green, last is red, the rest spread between.
    const colour = (r) => (r && r.ranked ? RANK[Math.round((r.rank - 1) / Math.max(1, ranked - 1) * (RANK.length - 1))] : "#ccc");
    const metric = METRIC_NAMES[data.sort];
    const show = (r, k) => (k.endsWith("_rate") ? pct(r[k]) : fmt(r[k], 2));
    const change = (c) => (c === null ? "—" : (c > 0 ? "+" : "") +
      (data.sort.endsWith("_rate") ? (c * 100).toFixed(1) + " 个百分点" : fmt(c, 2)));
    const shapes = { type: "FeatureCollection", features: regions.features.filter((x) => x.properties.level === level) };
    const layer = L.geoJSON(shapes, {
      style: (x) => ({ color: "#444", weight: 1, fillColor: colour(byKey[x.properties.code]), fillOpacity: 0.7 }),
      onEachFeature: (x, l) => {
        const r = byKey[x.properties.code];
        if (!r) { l.bindPopup(table([["名称", x.properties.name], ["本期", "无数据"]])); return; }
        l.bindPopup(table([["名称", r.name], ["排名", r.ranked ? r.rank + " / " + ranked : "样本不足，不排名（到期 " + r.due + " 件）"],
          [metric, show(r, data.sort)], ["较上期", change(r.change)],
          ["派遣", fmt(r.dispatched, 0) + " 件"], ["按期结案率", pct(r.on_time_rate)], ["返工率", pct(r.rework_rate)],
          ["超期", fmt(r.overdue, 0) + " 件"], ["问责升级", fmt(r.escalations, 0) + " 次"]]));
      },
    });
    replace(map, "ranking", layer, shapes.features.length);
    state.drawnSeq = mine;
    legend(map, "红黑榜：" + metric, [[RANK[0], "前列"], [RANK[RANK.length - 1], "后列"], ["#ccc", "样本不足（少于 " + data.min_sample + " 件）"]],
      data.period + "，与上期比较");
    const body = document.getElementById("ccg-ranking-body");
    if (body) {
      body.textContent = "";
      data.rows.forEach((r) => {
        const tr = document.createElement("tr");
        if (r.board) tr.className = "ccg-" + r.board;
        [r.ranked ? r.rank : "—", r.name, show(r, data.sort), r.change === null ? "—" : (r.change > 0 ? "↑" : r.change < 0 ? "↓" : "＝"),
          r.due, r.board === "red" ? "红榜" : r.board === "black" ? "黑榜" : ""].forEach((v) => {
          const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }
    setStatus(data.period + "：" + ranked + " 个参与排名" +
      (data.boards_shown ? "" : "（少于 " + data.min_ranked + " 个，不列红黑榜）"));
  }

  // --- Planning indicators on the ranking page (路网密度, 15分钟生活圈 …): each region against its target -------
  const PLANNING = { road_density: "路网密度", living_circle_share: "15分钟生活圈覆盖率", volunteer_reach: "志愿服务站点覆盖率",
    no_chief_share: "无街长道路占比", road_area_share: "道路面积率", green_cover: "建成区绿化覆盖率" };

  function showPlanningTable(on) {
    const own = document.getElementById("ccg-ranking-body");
    if (own) own.closest("table").hidden = on;
    const mine = document.getElementById("ccg-planning-table");
    if (mine) mine.hidden = !on;
    return mine;
  }

  function planningTable() {
    let t = document.getElementById("ccg-planning-table");
    const own = document.getElementById("ccg-ranking-body");
    if (!t && own) {
      t = document.createElement("table");
      t.id = "ccg-planning-table";
      t.innerHTML = "<thead><tr><th>名次</th><th>名称</th><th>数值</th><th>目标</th><th>结果</th></tr></thead><tbody></tbody>";
      own.closest("table").after(t);
    }
    return t;
  }

  async function planningRanking(map, f) {
    setStatus("加载中…");
    const mine = ++state.seq;
    const level = f.level || "subdistrict";
    const [data, regions] = await Promise.all([
      getJSON("/api/v1/analytics/planning-indicators", { level, region: f.region }),
      getJSON("/api/v1/layers/regions/features", { limit: 10000 }),
    ]);
    if (mine !== state.seq) return;
    const target = data.targets.find((t) => t.code === f.sort) || {};
    const sym = (c) => (c === "<=" ? "≤" : "≥");
    const value = (row) => row.indicators.find((i) => i.code === f.sort) || {};
    const shown = (v) => (v.value === null || v.value === undefined ? (v.note || "—") : fmt(v.value, 2) + " " + v.unit);
    const higher = target.comparison !== "<=";
    const rows = data.rows.slice().sort((a, b) => {
      const x = value(a).value, y = value(b).value;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return higher ? y - x : x - y;
    });
    const byCode = Object.fromEntries(rows.map((r) => [r.code, r]));
    const colour = (r) => {
      const v = r ? value(r) : {};
      if (v.value === null || v.value === undefined) return "#ccc";
      if (v.pass === true) return RANK[0];
      if (v.pass === false) return RANK[RANK.length - 1];
      return RANK[2];  // no target set: shown, not judged
    };
    const shapes = { type: "FeatureCollection", features: regions.features.filter((x) => x.properties.level === level) };
    const layer = L.geoJSON(shapes, {
      style: (x) => ({ color: "#444", weight: 1, fillColor: colour(byCode[x.properties.code]), fillOpacity: 0.7 }),
      onEachFeature: (x, l) => {
        const r = byCode[x.properties.code];
        if (!r) { l.bindPopup(table([["名称", x.properties.name], [PLANNING[f.sort], "无数据"]])); return; }
        l.bindPopup(table([["名称", r.name]].concat(r.indicators.map((i) => [i.name, shown(i) +
          (i.target === null || i.target === undefined ? "" : "（目标 " + sym(i.comparison) + " " + fmt(i.target, 2) + "，" + (i.pass ? "达标" : i.pass === false ? "未达标" : "—") + "）")]))
          .concat([["道路", fmt(r.road_km, 2) + " km"], ["建成区", fmt(r.built_up_km2, 3) + " km²（" + (r.built_up_source === "land_cover" ? "导入图层" : "单元网格") + "）"]])));
      },
    });
    replace(map, "ranking", layer, shapes.features.length);
    state.drawnSeq = mine;
    const goal = target.target === null || target.target === undefined ? "未设目标" : "目标 " + sym(target.comparison) + " " + fmt(target.target, 2) + " " + (target.unit || "");
    legend(map, PLANNING[f.sort] + "（" + goal + "）", [[RANK[0], "达标"], [RANK[RANK.length - 1], "未达标"], [RANK[2], "未设目标"], ["#ccc", "无法计算"]],
      (target.source || "") + (f.sort.endsWith("_share") || f.sort === "volunteer_reach" ? "；可达按步行路网、网格中心点计" : ""));
    const t = planningTable();
    if (t) {
      showPlanningTable(true);
      const body = t.querySelector("tbody");
      body.textContent = "";
      rows.forEach((r, i) => {
        const v = value(r);
        const tr = document.createElement("tr");
        if (v.pass === false) tr.className = "ccg-red";
        [v.value === null || v.value === undefined ? "—" : i + 1, r.name, shown(v), goal, v.pass ? "达标" : v.pass === false ? "未达标" : "—"]
          .forEach((x) => { const td = document.createElement("td"); td.textContent = x; tr.appendChild(td); });
        body.appendChild(tr);
      });
    }
    const passed = rows.filter((r) => value(r).pass === true).length;
    setStatus(PLANNING[f.sort] + "：" + rows.length + " 个区域，" + passed + " 个达标");
  }

  const PAGES = { heatmap, coverage, owners, ranking };

  window.CCGRID = {
    // A write changed what the owners tiles hold: the next draw asks for new tiles.
    changed: function () { state.ownersVersion = Date.now(); },
    // What the 大屏 (screen.js) draws its map with, as these pages do: the API, the city's outlines, the heatmap.
    getJSON, cityLayers, heatLayer, legend, replace, fmt, cellSize,
    init: async function (map, cfg) {
      const draw = () => PAGES[cfg.page](map).catch((e) => setStatus("加载失败：" + e.message, true));
      // The coverage gap list (coverage_list.js) zooms this map to a gap and redraws it after an assignment.
      window.CCGRID.map = map;
      window.CCGRID.redraw = draw;
      document.dispatchEvent(new CustomEvent("ccgrid:map", { detail: map }));
      try {
        await cityLayers(map, cfg);
        await PAGES[cfg.page](map);
      } catch (e) {
        setStatus("加载失败：" + e.message, true);
      } finally {
        state.ready = true;
        document.body.dataset.ccgridReady = "1";
        performance.mark("ccgrid:ready");  // the page's data drawn: what bench/pages.py times
        document.dispatchEvent(new CustomEvent("ccgrid:ready"));
      }
      const form = document.getElementById("ccg-filters");
      if (form) {
        // On a phone the filters fold behind one button: the map is what the page is for.
        const toggle = document.createElement("button");
        toggle.type = "button";
        toggle.className = "ccg-filter-toggle";
        toggle.textContent = "筛选";
        toggle.setAttribute("aria-expanded", "false");
        toggle.addEventListener("click", () => toggle.setAttribute("aria-expanded", String(form.classList.toggle("open"))));
        form.insertBefore(toggle, form.querySelector("b").nextSibling);
        form.addEventListener("change", (ev) => {
          // A region chosen: go there (the whole city when none), and draw once the map is there.
          if (ev.target.name === "region") {
            const all = Object.values(state.regionBounds || {}).reduce((b, x) => (b ? b.extend(x) : L.latLngBounds(x.getSouthWest(), x.getNorthEast())), null);
            const to = (state.regionBounds || {})[ev.target.value] || all;
            if (to && to.isValid()) {
              const before = map.getCenter().toString() + map.getZoom();
              map.fitBounds(to, { padding: [20, 20], animate: false });
              if (cfg.reload_on_move && map.getCenter().toString() + map.getZoom() !== before) return;  // moveend draws
            }
          }
          draw();
        });
        form.addEventListener("submit", (ev) => { ev.preventDefault(); draw(); });
      }
      // A popup that pans the map to fit is not a new view: redrawing would close the popup it opened for.
      map.on("autopanstart", () => { state.autopanning = true; });
      if (cfg.reload_on_move) {
        map.on("moveend", () => {
          if (state.autopanning) { state.autopanning = false; return; }
          draw();
        });
      }
    },
  };
})();
