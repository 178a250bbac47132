/* The owners map as a working tool (/maps/owners, panel maps/templates/owners/map_side.html):
   - a click on a street, point or cell (maps.js sends "ccgrid:place") opens that place's panel, fetched from
     /maps/places/{layer}/{id}/panel (server-rendered, escaped); its forms (指派, 结束, 移交) post the JSON API
     through workbench.js and say "ccg:done", after which the panel is fetched again and the map redrawn;
   - 批量指派 assigns every place of a layer in a region or in a polygon drawn on the map: 预览 asks
     POST /api/v1/assignments/bulk with dry_run (the same checks, nothing written), 确认指派 writes.
   Text from answers goes in through textContent. */
(function () {
  "use strict";

  // folium puts this script in <head>: start once the panel exists.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  function start() {
    const side = document.getElementById("ccg-owners-side");
    const slot = document.getElementById("ccg-place-panel");
    const bulk = document.getElementById("ccg-bulk");
    const flash = document.getElementById("ccg-side-flash");
    const toggle = document.getElementById("ccg-side-toggle");
    if (!side || !slot) return;
    const state = () => window.CCGRID_STATE || {};
    let current = null;

    function openSheet(open) {  // on a phone the panel is a sheet over the map
      side.classList.toggle("open", open);
      if (toggle) toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    if (toggle) toggle.addEventListener("click", () => openSheet(!side.classList.contains("open")));
    side.querySelector(".ccg-gaps-close").addEventListener("click", () => openSheet(false));

    function say(text, isError) {
      flash.hidden = !text;
      flash.textContent = text || "";
      flash.className = "ccg-flash" + (isError ? " error" : "");
    }

    async function showPlace(layer, id, keepFlash) {
      current = { layer, id };
      state().selectedPlace = current;
      if (!keepFlash) say("");
      if (bulk) bulk.hidden = true;
      slot.hidden = false;
      slot.dataset.ready = "";
      slot.setAttribute("aria-busy", "true");
      openSheet(true);
      try {
        const r = await fetch("/maps/places/" + encodeURIComponent(layer) + "/" + encodeURIComponent(id) + "/panel",
          { credentials: "same-origin", headers: { Accept: "text/html" } });
        const html = await r.text();
        if (current.layer !== layer || current.id !== id) return;  // another place was clicked meanwhile
        slot.innerHTML = html;  // our own server's escaped fragment (or its error paragraph)
        if (window.CCG_PICKER) window.CCG_PICKER.scan(slot);
        slot.dataset.ready = "1";
      } catch (err) {
        slot.textContent = "加载失败：" + err.message;
      } finally {
        slot.removeAttribute("aria-busy");
      }
      if (window.CCGRID && window.CCGRID.redraw) window.CCGRID.redraw();  // ring the chosen place
    }

    document.addEventListener("ccgrid:place", (ev) => showPlace(ev.detail.layer, ev.detail.id));

    slot.addEventListener("submit", () => say(""), true);  // a new write: the last one's message goes
    const DONE = { "/api/v1/assignments": "已指派", "/api/v1/assignments/handover": "已移交" };
    slot.addEventListener("ccg:done", (ev) => {
      const api = ev.target.dataset.api || "";
      say(DONE[api] || (api.endsWith("/end") ? "已结束该职责" : "已保存"));
      if (window.CCGRID && window.CCGRID.changed) window.CCGRID.changed();  // the map asks for fresh tiles
      if (current) showPlace(current.layer, current.id, true);  // the panel and the map show the change
    });

    if (!bulk) return;

    // --- 批量指派 --------------------------------------------------------------------------------------------
    const $ = (sel) => bulk.querySelector(sel);
    const region = bulk.elements.region;
    const polygonField = bulk.elements.polygon;
    const drawBox = $(".ccg-bulk-draw");
    const drawState = document.getElementById("ccg-draw-state");
    const box = $(".ccg-preview");
    const modes = Array.from(document.querySelectorAll("input[name=bulk_mode]"));
    const draw = { points: [], layer: null, closed: false };

    function mode() { return (modes.find((m) => m.checked) || {}).value || "region"; }

    function syncMode() {
      const polygon = mode() === "polygon";
      drawBox.hidden = !polygon;
      region.closest("label").hidden = polygon;
      region.disabled = polygon;
      region.required = !polygon;
      polygonField.disabled = !polygon;
      if (!polygon) stopDrawing(true);
      clearPreview();
    }
    modes.forEach((m) => m.addEventListener("change", syncMode));

    // The role and type lists follow the layer: only the roles that may own it, only its kinds.
    function syncLayer() {
      const layer = bulk.elements.layer.value;
      const role = bulk.elements.role;
      Array.from(role.options).forEach((o) => { o.hidden = !(o.dataset.layers || "").split(",").includes(layer); });
      if (role.selectedOptions[0] && role.selectedOptions[0].hidden) {
        const shown = Array.from(role.options).filter((o) => !o.hidden);
        const first = shown.find((o) => o.dataset.primary) || shown[0];
        if (first) { role.value = first.value; role.dispatchEvent(new Event("change")); }
      }
      const kind = bulk.elements.kind;
      Array.from(kind.options).forEach((o) => { if (o.value) o.hidden = o.dataset.layer !== layer; });
      if (kind.selectedOptions[0] && kind.selectedOptions[0].hidden) kind.value = "";
      clearPreview();
    }
    bulk.elements.layer.addEventListener("change", syncLayer);
    bulk.addEventListener("change", (ev) => { if (ev.target.name !== "layer") clearPreview(); });
    bulk.addEventListener("ccg:picked", clearPreview);

    function clearPreview() { box.textContent = ""; box.dataset.ready = ""; }

    function openBulk() {
      current = null;
      state().selectedPlace = null;
      say("");
      slot.hidden = true;
      bulk.hidden = false;
      const mapLayer = document.querySelector("#ccg-filters select[name=layer]");
      if (mapLayer) bulk.elements.layer.value = mapLayer.value;
      const mapRegion = document.querySelector("#ccg-filters select[name=region]");
      if (mapRegion && mapRegion.value && !region.value) region.value = mapRegion.value;
      syncLayer();
      syncMode();
      openSheet(true);
      if (window.CCG_PICKER) window.CCG_PICKER.scan(bulk);
    }
    document.getElementById("ccg-bulk-open").addEventListener("click", openBulk);
    const mapLayerSelect = document.querySelector("#ccg-filters select[name=layer]");
    if (mapLayerSelect) mapLayerSelect.addEventListener("change", () => {
      if (!bulk.hidden) { bulk.elements.layer.value = mapLayerSelect.value; syncLayer(); }
    });
    $("[data-bulk-close]").addEventListener("click", () => {
      stopDrawing(true);
      bulk.hidden = true;
      slot.hidden = false;
    });

    // --- a polygon drawn with clicks on the map (no plugin: vertices, a dashed outline, 完成 closes it) ---------
    const theMap = () => window.CCGRID && window.CCGRID.map;
    const HINT = "点击“开始画”，再在地图上依次点击各个顶点。";

    function redrawShape() {
      const map = theMap();
      if (!map) return;
      if (draw.layer) map.removeLayer(draw.layer);
      const ll = draw.points.map((p) => [p[1], p[0]]);
      const style = { color: "#00838f", weight: 2, dashArray: draw.closed ? null : "5 4", fillOpacity: 0.08, interactive: false };
      draw.layer = L.layerGroup([draw.closed ? L.polygon(ll, style) : L.polyline(ll, style)].concat(
        ll.map((p) => L.circleMarker(p, { radius: 4, color: "#00838f", fillOpacity: 1, interactive: false })))).addTo(map);
      const n = draw.points.length;
      bar.querySelector(".ccg-draw-bar-text").textContent = "已画 " + n + " 个顶点" + (n >= 3 ? "" : "（至少 3 个）");
      drawState.textContent = draw.closed ? "已画好范围（" + n + " 个顶点），可以预览。"
        : state().drawing ? "已画 " + n + " 个顶点" + (n >= 3 ? "，点“完成”闭合范围。" : "，至少 3 个。") : HINT;
      polygonField.value = draw.closed ? JSON.stringify({ type: "Polygon", coordinates: [draw.points.concat([draw.points[0]])] }) : "";
    }

    function onMapClick(ev) {
      draw.points.push([Number(ev.latlng.lng.toFixed(6)), Number(ev.latlng.lat.toFixed(6))]);
      redrawShape();
    }

    const bar = document.getElementById("ccg-draw-bar");

    function drawing(on) {
      const map = theMap();
      if (!map) return;
      state().drawing = on;
      bar.hidden = !on;
      map.off("click", onMapClick);
      if (on) { map.on("click", onMapClick); map.doubleClickZoom.disable(); } else map.doubleClickZoom.enable();
      map.getContainer().classList.toggle("ccg-drawing", on);
    }

    function stopDrawing(discard) {
      drawing(false);
      if (!discard) return;
      draw.points = [];
      draw.closed = false;
      if (draw.layer && theMap()) theMap().removeLayer(draw.layer);
      draw.layer = null;
      polygonField.value = "";
      drawState.textContent = HINT;
    }

    function onDrawButton(ev) {
      const what = ev.target.closest("[data-draw]");
      if (!what) return;
      clearPreview();
      CCG.showError(bulk, null);
      const act = what.dataset.draw;
      if (act === "start") {
        stopDrawing(true);
        drawing(true);
        if (window.matchMedia("(max-width: 700px)").matches) openSheet(false);  // the map is needed to draw
      } else if (act === "clear") {
        stopDrawing(true);
      } else if (act === "undo") {
        draw.closed = false;
        draw.points.pop();
        drawing(true);
      } else if (act === "finish") {
        if (draw.points.length < 3) { CCG.showError(bulk, new Error("范围至少要有 3 个顶点")); return; }
        draw.closed = true;
        drawing(false);
        openSheet(true);
      }
      redrawShape();
    }
    drawBox.addEventListener("click", onDrawButton);
    bar.addEventListener("click", onDrawButton);

    // --- preview and write ------------------------------------------------------------------------------------
    function line(text, cls) {
      const d = document.createElement("div");
      if (cls) d.className = cls;
      d.textContent = text;
      return d;
    }

    function body(dryRun) {
      const b = CCG.values(bulk);
      b.dry_run = dryRun;
      return b;
    }

    function ready() {
      if (mode() === "polygon" && !polygonField.value) {
        CCG.showError(bulk, new Error("请先在地图上画出范围并点“完成”"));
        return false;
      }
      if (mode() === "region" && !region.value) {
        CCG.showError(bulk, Object.assign(new Error("请选择区域"), { field: "region" }));
        return false;
      }
      const picker = bulk.querySelector(".ccg-picker");
      if (picker && !picker.dataset.chosen) {
        CCG.showError(bulk, new Error("请先从列表中选择责任人"));
        return false;
      }
      return true;
    }

    $("[data-bulk-preview]").addEventListener("click", async () => {
      CCG.showError(bulk, null);
      clearPreview();
      say("");
      if (!ready()) return;
      try {
        const a = await CCG.api("POST", bulk.dataset.api, body(true));
        const created = a.created.length, unchanged = a.unchanged;
        box.appendChild(line("范围内共 " + a.selected + " 处：将新指派 " + created + " 处" +
          (unchanged ? "，" + unchanged + " 处已由其负责（不变）" : "") + "。", "ccg-preview-places"));
        box.dataset.ready = "1";
      } catch (err) {
        CCG.showError(bulk, err);
      }
    });

    // 确认指派 goes through workbench.js (data-api form); its answer comes back here.
    bulk.addEventListener("submit", (ev) => {
      say("");  // the last write's message is not this one's
      if (!ready()) { ev.preventDefault(); ev.stopImmediatePropagation(); }
    }, true);
    bulk.addEventListener("ccg:done", (ev) => {
      const a = ev.detail;
      clearPreview();
      say("已批量指派 " + a.created.length + " 处" +
        (a.unchanged ? "（" + a.unchanged + " 处原已由其负责）" : ""));
      // The area stays drawn: the next role for the same streets (包保领导, then 责任单位) needs no redrawing.
      if (window.CCGRID && window.CCGRID.changed) window.CCGRID.changed();
      if (window.CCGRID && window.CCGRID.redraw) window.CCGRID.redraw();
    });
  }
})();
