/* The coverage page's gap list (/maps/coverage): true totals per 街道/社区 from GET /api/v1/coverage/ownership (the
   map beside it draws at most `limit` shapes; these numbers are never capped), then the places missing a required
   role, a page at a time, each with an inline "指派" form posting POST /api/v1/assignments through workbench.js.
   After an assignment the report is fetched again (the row goes, the totals fall) and the map redraws.
   Every text from the database goes in through textContent, never as HTML. */
(function () {
  "use strict";

  const PAGE = 50;
  // The role families as a list names them (the report's role_names spell out every level: 市级街长/区级街长/…).
  const FAMILY = { street_chief: "街长", road_chief: "路长", grid_worker: "网格员", responsible_unit: "责任单位",
    point_keeper: "点位责任人", toilet_chief: "所长", estate_chief: "小区区长", area_chief: "片长", storefront: "门前五包" };
  const LAYER = { streets: "道路", grid_cells: "网格", assessment_points: "点位", regions: "区域" };
  const st = { offset: 0, report: null, roles: null, units: null, seq: 0, highlight: null };
  window.CCGRID_GAPS = st;

  const $ = (sel, root) => (root || document).querySelector(sel);
  const fmt = (n) => Number(n || 0).toLocaleString("zh-CN");

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.entries(props || {}).forEach(([k, v]) => {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || k === "type" || k === "name" || k === "value" ||
               k === "colspan" || k === "placeholder") node.setAttribute(k, v);
      else node[k] = v;
    });
    (children || []).forEach((c) => c && node.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
    return node;
  }

  function query(params) {
    const q = new URLSearchParams();
    Object.entries(params).forEach(([k, v]) => { if (v !== "" && v !== null && v !== undefined) q.set(k, v); });
    return q.toString();
  }

  const get = (path, params) => CCG.api("GET", path + "?" + query(params || {}));
  const familyName = (family, names) => FAMILY[family] || names || family;

  function filters() {
    const form = $("#ccg-gaps-filter");
    return { region: form.elements.region.value, layer: form.elements.layer.value, level: form.elements.level.value };
  }

  // --- loading and drawing the report -------------------------------------------------------------------------
  async function load() {
    const panel = $("#ccg-gaps");
    const f = filters();
    const mine = ++st.seq;
    panel.dataset.ready = "";
    try {
      const rep = await get("/api/v1/coverage/ownership",
        { region: f.region, layer: f.layer, limit: PAGE, offset: st.offset, expiring_days: 0 });
      if (mine !== st.seq) return;
      if (st.offset > 0 && st.offset >= rep.totals.missing) {  // the last page emptied (assigned away): step back
        st.offset = Math.max(0, Math.floor((rep.totals.missing - 1) / PAGE) * PAGE);
        return load();
      }
      st.report = rep;
      drawTotals(rep);
      drawRegions(rep, f.level);
      drawList(rep);
    } catch (err) {
      if (mine !== st.seq) return;
      $("#ccg-gaps-totals").textContent = "加载失败：" + err.message;
      $("#ccg-gaps-totals").classList.add("ccg-error");
    }
    panel.dataset.ready = "1";
  }

  function drawTotals(rep) {
    const t = rep.totals;
    const box = $("#ccg-gaps-totals");
    box.classList.remove("ccg-error");
    box.dataset.missing = t.missing;
    box.textContent = "";
    box.appendChild(el("span", { class: "ccg-gaps-n", text: fmt(t.missing) }));
    box.appendChild(el("span", { text: " 处缺少责任人 · 应覆盖 " + fmt(t.required) + " · 已覆盖 " + fmt(t.covered) +
      " · 覆盖率 " + t.pct + "%" }));
    box.appendChild(el("div", { class: "ccg-muted", text: "截至 " + rep.on + "；全部统计，不受地图显示数量限制" }));
    $("#ccg-gaps-badge").textContent = fmt(t.missing);
  }

  function drawRegions(rep, level) {
    const body = $("#ccg-gaps-by-region tbody");
    body.textContent = "";
    const rows = (level === "community" ? rep.by_community : rep.by_subdistrict).slice()
      .sort((a, b) => b.missing - a.missing || a.code.localeCompare(b.code));
    if (!rows.length) body.appendChild(el("tr", {}, [el("td", { colspan: "4", class: "ccg-muted", text: "无" })]));
    rows.forEach((r) => {
      const tags = el("td", {}, r.missing_by_family.map((g) =>
        el("span", { class: "ccg-tag red", text: "缺" + familyName(g.role_family, g.role_names) + " " + fmt(g.missing) })));
      if (!r.missing) tags.appendChild(el("span", { class: "ccg-tag green", text: "全覆盖" }));
      const tr = el("tr", { "data-code": r.code, title: "只看" + r.name + "的缺口" }, [
        el("td", { text: r.name }), el("td", { class: "num", text: fmt(r.missing) }),
        el("td", { class: "num", text: r.pct + "%" }), tags]);
      tr.addEventListener("click", () => {
        $("#ccg-gaps-filter").elements.region.value = r.code;
        st.offset = 0;
        load();
      });
      body.appendChild(tr);
    });
  }

  function drawList(rep) {
    const body = $("#ccg-gaps-list tbody");
    const canAssign = $("#ccg-gaps").dataset.canAssign === "1";
    body.textContent = "";
    const total = rep.totals.missing;
    $("#ccg-gaps-count").textContent = "共 " + fmt(total) + " 处";
    if (!rep.missing.length) body.appendChild(el("tr", {}, [el("td", { colspan: "4", class: "ccg-muted", text: "没有缺口" })]));
    rep.missing.forEach((m) => {
      const place = el("td", {}, [el("div", { text: m.name || m.code || "#" + m.id }),
        el("div", { class: "ccg-muted", text: (LAYER[m.layer] || m.layer) + (m.kind ? " · " + m.kind : "") + (m.code && m.name !== m.code ? " · " + m.code : "") })]);
      const where = el("td", { text: m.community_name || m.subdistrict_name || m.region_code || "" });
      const action = el("td", {});
      if (canAssign) {
        const button = el("button", { type: "button", class: "ccg-btn ccg-gaps-assign", text: "指派" });
        button.addEventListener("click", (ev) => { ev.stopPropagation(); openForm(tr, m); });
        action.appendChild(button);
      }
      action.appendChild(el("a", { href: "/maps/places/" + m.layer + "/" + m.id, class: "ccg-gaps-more", text: "详情",
        onclick: (ev) => ev.stopPropagation() }));
      const tr = el("tr", { class: "ccg-gap", "data-key": m.layer + ":" + m.id + ":" + m.role_family,
        title: "在地图上定位" }, [place, where,
        el("td", {}, [el("span", { class: "ccg-tag red", text: "缺" + familyName(m.role_family, m.role_names) })]), action]);
      tr.addEventListener("click", () => zoomTo(m, tr));
      body.appendChild(tr);
    });
    const end = Math.min(total, st.offset + rep.missing.length);
    $("#ccg-gaps-page").textContent = total ? (st.offset + 1) + "–" + end + " / " + fmt(total) : "";
    $("#ccg-gaps [data-page='-1']").disabled = st.offset === 0;
    $("#ccg-gaps [data-page='1']").disabled = end >= total;
  }

  // --- zoom the map to a gap --------------------------------------------------------------------------------
  async function zoomTo(m, tr) {
    const map = window.CCGRID && window.CCGRID.map;
    if (!map) return;
    document.querySelectorAll("#ccg-gaps-list tr.selected").forEach((x) => x.classList.remove("selected"));
    tr.classList.add("selected");
    const feature = await get("/api/v1/layers/" + encodeURIComponent(m.layer) + "/features/" + m.id);
    if (st.highlight) map.removeLayer(st.highlight);
    st.highlight = L.geoJSON(feature, {
      style: { color: "#00e5ff", weight: 7, opacity: 0.9, fillOpacity: 0.15 },
      pointToLayer: (x, ll) => L.circleMarker(ll, { radius: 12, color: "#00e5ff", weight: 4, fillOpacity: 0.1 }),
      interactive: false,
    }).addTo(map);
    closePanelOnPhone();
    map.fitBounds(st.highlight.getBounds(), { maxZoom: 17, padding: [40, 40] });
    st.zoomed = tr.dataset.key;
  }

  // --- the inline assign form ---------------------------------------------------------------------------------
  function rolesFor(m) {
    return (st.roles || []).filter((r) => r.family === m.role_family && (!r.layers || r.layers.includes(m.layer)))
      .sort((a, b) => (a.sort || 0) - (b.sort || 0));
  }

  function openForm(tr, m) {
    document.querySelectorAll("#ccg-gaps-list tr.ccg-gaps-formrow").forEach((x) => x.remove());
    const roles = rolesFor(m);
    const role = el("select", { name: "role" }, roles.map((r) => el("option", { value: r.code, text: r.name })));
    // The most local level first in mind: a 街道 fills its own 街道级街长 more often than the city its 市级街长.
    if (roles.length) role.value = roles[roles.length - 1].code;
    const search = el("input", { type: "search", placeholder: "输入姓名或单位名称查找", class: "ccg-gaps-search" });
    const holder = el("select", { required: true, class: "ccg-gaps-holder" });
    const from = el("input", { type: "date", name: "valid_from", value: (st.report && st.report.on) || "" });
    const cancel = el("button", { type: "button", class: "ccg-btn secondary", text: "取消" });
    const form = el("form", { class: "ccg-form ccg-gaps-form", "data-api": "/api/v1/assignments", "data-method": "POST",
      "data-then": "event" }, [
      el("input", { type: "hidden", name: "layer", value: m.layer }),
      el("input", { type: "hidden", name: "feature_id", value: String(m.id) }),
      el("label", {}, ["角色", role]), el("label", {}, ["查找", search]), el("label", {}, ["责任人/单位", holder]),
      el("label", {}, ["起始日期", from]),
      el("button", { type: "submit", class: "ccg-btn", text: "确认指派" }), cancel]);
    const row = el("tr", { class: "ccg-gaps-formrow" }, [el("td", { colspan: "4" }, [form])]);
    tr.after(row);
    const refill = () => fillHolders(holder, role, search.value.trim(), m).catch((err) => CCG.showError(form, err));
    let timer = null;
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refill, 250); });
    role.addEventListener("change", refill);
    cancel.addEventListener("click", () => row.remove());
    form.addEventListener("ccg:done", () => done(row, tr, holder, role));
    refill();
    search.focus();
  }

  // The select's name follows the role's holder: person_id for a person's role, unit_id for a unit's.
  async function fillHolders(select, roleSelect, q, m) {
    const role = (st.roles || []).find((r) => r.code === roleSelect.value) || {};
    const unit = role.holder === "unit";
    select.name = unit ? "unit_id" : "person_id";
    let options;
    if (unit) {
      st.units = st.units || await get("/api/v1/units");
      const near = (u) => (u.region_code && m.region_code && m.region_code.startsWith(u.region_code) ? 0 : 1);
      options = st.units.filter((u) => u.active !== false && (!q || u.name.includes(q)))
        .sort((a, b) => near(a) - near(b) || a.name.localeCompare(b.name, "zh-CN")).slice(0, 50)
        .map((u) => [u.id, u.name]);
    } else {
      // Nothing typed: the people of the gap's 街道 first; typed: anyone the caller may see.
      const street = q ? "" : (m.region_code || "").slice(0, 9);
      let people = await get("/api/v1/people", { q: q, active: true, limit: 50, region: street.length === 9 ? street : "" });
      if (!people.length && street) people = await get("/api/v1/people", { active: true, limit: 50 });
      options = people.map((p) => [p.id, p.name + (p.title ? "（" + p.title + "）" : "") + (p.unit_name ? " · " + p.unit_name : "")]);
    }
    select.textContent = "";
    select.appendChild(el("option", { value: "", text: options.length ? "请选择" : "没有找到" }));
    options.forEach(([id, label]) => select.appendChild(el("option", { value: String(id), text: label })));
    if (options.length === 1) select.value = String(options[0][0]);
  }

  function done(row, tr, holder, role) {
    const who = holder.options[holder.selectedIndex] ? holder.options[holder.selectedIndex].textContent : "";
    const what = role.options[role.selectedIndex] ? role.options[role.selectedIndex].textContent : "";
    row.remove();
    tr.remove();
    flash("已指派 " + who + " 为" + what);
    load();
    if (window.CCGRID && window.CCGRID.changed) window.CCGRID.changed();  // the gap tiles are asked for again
    if (window.CCGRID && window.CCGRID.redraw) window.CCGRID.redraw();
  }

  function flash(text) {
    const box = $("#ccg-gaps-totals");
    let note = $("#ccg-gaps-flash");
    if (!note) { note = el("div", { id: "ccg-gaps-flash", class: "ccg-flash" }); box.before(note); }
    note.textContent = text;
  }

  // --- a phone: the list is a sheet over the map, opened by a button ----------------------------------------
  function setOpen(open) {
    $("#ccg-gaps").classList.toggle("open", open);
    $("#ccg-gaps-toggle").setAttribute("aria-expanded", open ? "true" : "false");
  }

  function closePanelOnPhone() {
    if (window.matchMedia("(max-width: 700px)").matches) setOpen(false);
  }

  async function start() {
    const panel = $("#ccg-gaps");
    if (!panel || !window.CCG) return;
    $("#ccg-gaps-toggle").addEventListener("click", () => setOpen(!panel.classList.contains("open")));
    $(".ccg-gaps-close", panel).addEventListener("click", () => setOpen(false));
    const form = $("#ccg-gaps-filter");
    form.addEventListener("change", (ev) => {
      if (ev.target.name === "level" && st.report) { drawRegions(st.report, filters().level); return; }
      st.offset = 0;
      load();
    });
    form.addEventListener("submit", (ev) => ev.preventDefault());
    panel.querySelectorAll("[data-page]").forEach((b) => b.addEventListener("click", () => {
      st.offset = Math.max(0, st.offset + Number(b.dataset.page) * PAGE);
      load();
    }));
    if (panel.dataset.canAssign === "1") {
      st.roles = await get("/api/v1/owner-roles").catch(() => []);
    }
    await load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
