/* 我的片区 (/m/): my places from GET /api/v1/me/places drawn by whether they were patrolled today, my position
   (with the fix's accuracy), and the patrol recorder: while a patrol runs, each GPS fix is kept in localStorage
   (a reload or a locked screen loses nothing); 结束 sends the track through the outbox as one patrol. Fixes that
   imply an impossible speed for the mode (a GPS jump) are left out and counted. Text goes in via textContent. */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const cfg = JSON.parse($("m-config").textContent);
  const map = L.map("m-map", { attributionControl: false }).setView(cfg.centre, 14);
  (cfg.basemaps || []).forEach((b) => L.tileLayer(b.url, Object.assign({ maxZoom: 19 }, b.options || {})).addTo(map));
  const LAYERS = { streets: "道路", assessment_points: "测评点位", grid_cells: "网格", regions: "区域" };
  const DONE = "#2e7d32", TODO = "#e65100";
  let me = null, ring = null, track = null, shapes = null;

  // --- my places -------------------------------------------------------------------------------------------
  function style(f) {
    const c = f.properties.patrolled_today ? DONE : TODO;
    return f.properties.layer === "streets" ? { color: c, weight: 6, opacity: 0.9 }
      : { color: c, weight: 2, fillColor: c, fillOpacity: f.properties.layer === "assessment_points" ? 0.9 : 0.12 };
  }

  async function places() {
    const list = $("m-places");
    try {
      const r = await fetch("/api/v1/me/places", { credentials: "same-origin" });
      if (!r.ok) throw new Error(r.status);
      const data = await r.json();
      if (shapes) map.removeLayer(shapes);  // redrawn after a patrol: the old colours go
      shapes = L.geoJSON(data, { style, pointToLayer: (f, ll) => L.circleMarker(ll, Object.assign({ radius: 8 }, style(f))),
        onEachFeature: (f, l) => l.bindPopup(document.createTextNode(label(f.properties))) }).addTo(map);
      if (data.features.length && !map._ccgFitted) {  // fitted once: a redraw keeps the user's view
        map.fitBounds(shapes.getBounds(), { padding: [20, 20], maxZoom: 17 });
        map._ccgFitted = true;
      }
      const done = data.features.filter((f) => f.properties.patrolled_today).length;
      $("m-patrolled").textContent = data.features.length ? done + "/" + data.features.length : "—";
      $("m-places-count").textContent = data.features.length + " 处";
      // One row per place as people name it: a street of 20 segments is one row "经十五路 · 20 段"; a tap shows it.
      const groups = new Map();
      shapes.eachLayer((l) => {
        const p = l.feature.properties;
        const key = p.layer + "|" + (p.role_name || "") + "|" + (p.name || p.code || p.id);
        if (!groups.has(key)) groups.set(key, { p, layers: [], done: 0 });
        const g = groups.get(key);
        g.layers.push(l);
        if (p.patrolled_today) g.done += 1;
      });
      list.textContent = "";
      groups.forEach((g) => {
        const li = document.createElement("li");
        const name = document.createElement("button");
        name.type = "button";
        name.className = "m-place";
        name.textContent = label(g.p) + (g.layers.length > 1 ? " · " + g.layers.length + " 段" : "");
        name.addEventListener("click", () => {
          map.fitBounds(L.featureGroup(g.layers).getBounds(), { padding: [30, 30], maxZoom: 18 });
          document.getElementById("m-map").scrollIntoView({ block: "start", behavior: "smooth" });
        });
        const tag = document.createElement("span");
        const all = g.done === g.layers.length;
        tag.className = "m-tag" + (all ? "" : " red");
        tag.textContent = all ? "今日已巡查" : g.done ? "今日已巡查 " + g.done + "/" + g.layers.length : "今日未巡查";
        li.append(name, tag);
        if (g.p.layer === "assessment_points") {
          const go = document.createElement("a");
          go.className = "m-btn secondary m-small";
          go.href = "/m/visit/" + g.p.id;
          go.textContent = "检查";
          li.appendChild(go);
        }
        list.appendChild(li);
      });
      if (!data.features.length) list.innerHTML = '<li class="m-muted">目前没有分配给您的地点。</li>';
    } catch (err) {
      list.textContent = "读取失败（" + err.message + "），联网后刷新。";
    }
  }

  function label(p) {
    return (p.role_name ? p.role_name + " · " : "") + (LAYERS[p.layer] || p.layer) + " " + (p.name || p.code || "#" + p.id);
  }

  // --- where I am ------------------------------------------------------------------------------------------
  function showMe(pos) {
    const ll = [pos.coords.latitude, pos.coords.longitude];
    const acc = Math.round(pos.coords.accuracy);
    if (!me) me = L.circleMarker(ll, { radius: 7, color: "#fff", weight: 2, fillColor: "#1976d2", fillOpacity: 1 }).addTo(map);
    else me.setLatLng(ll);
    if (ring) ring.setLatLng(ll).setRadius(acc);
    else ring = L.circle(ll, { radius: acc, color: "#1976d2", weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
    $("m-where").textContent = "我的位置：定位精度 ±" + acc + " 米";
    $("m-to-me").hidden = false;
  }

  // --- the patrol recorder ---------------------------------------------------------------------------------
  const KEY = "ccgrid-m-patrol";
  // Above the server's limit for the mode between two fixes, the second is a GPS jump (the server would refuse it).
  const LIMIT_KMH = cfg.speed_kmh || { walk: 12, bike: 35, drive: 120 };
  const SLACK_M = cfg.gps_accuracy_m || 20;
  let watch = null;

  function load() { try { return JSON.parse(localStorage.getItem(KEY)); } catch (e) { return null; } }
  function keep(p) { if (p) localStorage.setItem(KEY, JSON.stringify(p)); else localStorage.removeItem(KEY); }

  function metres(a, b) {
    const R = 6371000, rad = Math.PI / 180;
    const dLat = (b[1] - a[1]) * rad, dLon = (b[0] - a[0]) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * R * Math.asin(Math.sqrt(h));
  }

  function onFix(pos) {
    showMe(pos);
    const p = load();
    if (!p) return;
    // A cached fix from before the start (the phone's last known place) counts as where the patrol began.
    const at = Math.max(pos.timestamp, Date.parse(p.started));
    const fix = [Number(pos.coords.longitude.toFixed(6)), Number(pos.coords.latitude.toFixed(6)), at];
    const last = p.fixes[p.fixes.length - 1];
    if (last) {
      const gap = metres(last, fix), secs = (fix[2] - last[2]) / 1000;
      if (gap < 3) return;  // standing still: one fix is enough
      if (secs <= 0 || Math.max(0, gap - SLACK_M) / secs * 3.6 > LIMIT_KMH[p.mode]) { p.flagged += 1; keep(p); drawTrack(p); return; }
    }
    p.fixes.push(fix);
    keep(p);
    drawTrack(p);
  }

  function drawTrack(p) {
    if (track) map.removeLayer(track);
    track = L.polyline(p.fixes.map((f) => [f[1], f[0]]), { color: "#1976d2", weight: 4, dashArray: "6 6" }).addTo(map);
    const km = p.fixes.slice(1).reduce((s, f, i) => s + metres(p.fixes[i], f), 0) / 1000;
    $("m-patrol-state").textContent = "进行中 · " + p.fixes.length + " 个定位点 · " + km.toFixed(2) + " km";
    $("m-patrol-note").textContent = p.flagged ? "已剔除 " + p.flagged + " 个速度异常的定位点（GPS 漂移）" : "";
  }

  function running(on) {
    $("m-patrol-start").hidden = on;
    $("m-patrol-stop").hidden = !on;
    $("m-patrol-mode").disabled = on;
  }

  function follow() {
    if (!navigator.geolocation) { $("m-where").textContent = "此设备无法定位"; return; }
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = navigator.geolocation.watchPosition(onFix, (err) => { $("m-where").textContent = "定位失败：" + err.message; },
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 20000 });
  }

  $("m-patrol-start").addEventListener("click", () => {
    keep({ started: new Date().toISOString(), mode: $("m-patrol-mode").value, fixes: [], flagged: 0 });
    running(true);
    $("m-patrol-state").textContent = "进行中 · 等待定位";
    follow();
  });

  $("m-patrol-stop").addEventListener("click", async () => {
    const p = load();
    if (!p) { running(false); return; }
    if (p.fixes.length < 2) {
      if (!confirm("只记录到 " + p.fixes.length + " 个定位点，无法形成轨迹。放弃这次巡查？")) return;
      keep(null); running(false); $("m-patrol-state").textContent = "未开始"; return;
    }
    const ended = new Date(Math.max(Date.now(), p.fixes[p.fixes.length - 1][2])).toISOString();
    const patrol = { track: { type: "LineString", coordinates: p.fixes.map((f) => [f[0], f[1]]) }, mode: p.mode,
      started_at: p.started, ended_at: ended, times: p.fixes.map((f) => new Date(f[2]).toISOString()),
      walker: document.querySelector(".m-who").textContent.trim() || "外勤" };
    const person = document.body.dataset.person;
    if (person) patrol.person_id = Number(person);
    await M_OUTBOX.add({ kind: "patrol", label: "巡查轨迹 " + p.fixes.length + " 个点", patrol });
    keep(null);
    running(false);
    $("m-patrol-state").textContent = "已保存，正在上传";
  });

  document.addEventListener("m:outbox", (ev) => {
    const sent = ev.detail.done.find((j) => j.kind === "patrol");
    if (!sent) return;
    const a = sent.done.patrol;
    $("m-patrol-state").textContent = "已上传：经过道路 " + a.streets + " 段、点位 " + a.assessment_points + " 个";
    document.body.dataset.patrolled = String(a.id);
    if (track) { map.removeLayer(track); track = null; }
    places();  // the streets just walked turn green
  });

  $("m-to-me").addEventListener("click", () => { if (me) map.setView(me.getLatLng(), Math.max(map.getZoom(), 16)); });

  const open = load();
  if (open) { running(true); $("m-patrol-mode").value = open.mode; drawTrack(open); }
  follow();
  places();
})();
