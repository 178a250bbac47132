/* 上报 (/m/report): the spot from the phone's GPS on a small map (the pin can be dragged), the category (common
   ones as chips), photos shrunk on the phone, and before sending the open reports of that category nearby
   ("可能重复": add your photos to one of them instead). The report goes into the outbox (outbox.js), which sends
   and retries it; the answer says where it was routed and who owns the place. Text goes in via textContent. */
(function () {
  "use strict";

  const form = document.getElementById("m-report");
  const $ = (id) => document.getElementById(id);
  const photos = [];          // shrunk Blobs, in the order taken
  let takenAt = null;         // the first photo's own time: when the problem was seen
  let pin = null, ring = null, streets = null;
  const cfg = JSON.parse(document.getElementById("m-config").textContent);

  // --- the map and the spot --------------------------------------------------------------------------------
  const map = L.map("m-map", { zoomControl: true, attributionControl: false }).setView(cfg.centre, 15);
  (cfg.basemaps || []).forEach((b) => L.tileLayer(b.url, Object.assign({ maxZoom: 19 }, b.options || {})).addTo(map));

  function setSpot(lat, lon, accuracy) {
    form.elements.lat.value = lat.toFixed(6);
    form.elements.lon.value = lon.toFixed(6);
    if (!pin) {
      pin = L.marker([lat, lon], { draggable: true, autoPan: true }).addTo(map);
      pin.on("dragend", () => { const p = pin.getLatLng(); setSpot(p.lat, p.lng, null); $("m-accuracy").textContent = "已手动修正"; });
    } else pin.setLatLng([lat, lon]);
    if (ring) { map.removeLayer(ring); ring = null; }
    if (accuracy) ring = L.circle([lat, lon], { radius: accuracy, weight: 1, color: "#1976d2", fillOpacity: 0.1, interactive: false }).addTo(map);
    map.setView([lat, lon], Math.max(map.getZoom(), 17));
    drawStreets();
    lookForDuplicates();
  }

  // The city's own streets under the pin, so the spot can be read without a basemap.
  async function drawStreets() {
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
    try {
      const r = await fetch("/api/v1/layers/streets/features?limit=500&bbox=" + bbox, { credentials: "same-origin" });
      if (!r.ok) return;
      const data = await r.json();
      if (streets) map.removeLayer(streets);
      streets = L.geoJSON(data, { style: { color: "#888", weight: 3 }, interactive: false }).addTo(map);
    } catch (e) { /* offline: the pin alone */ }
  }

  function locate() {
    if (!navigator.geolocation) { $("m-accuracy").textContent = "此设备无法定位，请拖动图钉"; setSpot(cfg.centre[0], cfg.centre[1]); return; }
    $("m-accuracy").textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition((pos) => {
      const acc = Math.round(pos.coords.accuracy);
      $("m-accuracy").textContent = "定位精度 ±" + acc + " 米";
      setSpot(pos.coords.latitude, pos.coords.longitude, acc);
    }, (err) => {
      $("m-accuracy").textContent = "定位失败（" + err.message + "），请拖动图钉";
      if (!pin) setSpot(cfg.centre[0], cfg.centre[1]);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 10000 });
  }
  $("m-relocate").addEventListener("click", locate);
  locate();

  // --- category --------------------------------------------------------------------------------------------
  const select = form.elements.category;
  function markChips() {
    document.querySelectorAll("#m-common .m-chip").forEach((c) => c.setAttribute("aria-checked", String(c.dataset.code === select.value)));
  }
  $("m-common").addEventListener("click", (ev) => {
    const chip = ev.target.closest(".m-chip");
    if (!chip) return;
    select.value = chip.dataset.code;
    markChips();
    lookForDuplicates();
  });
  select.addEventListener("change", () => { markChips(); lookForDuplicates(); });

  // --- photos ----------------------------------------------------------------------------------------------
  form.elements.photo.addEventListener("change", async (ev) => {
    for (const file of ev.target.files) {
      if (!takenAt && file.lastModified) takenAt = new Date(file.lastModified);
      const small = await M_OUTBOX.shrink(file);
      photos.push(small);
      const fig = document.createElement("figure");
      const img = document.createElement("img");
      img.src = URL.createObjectURL(small);
      img.alt = "照片 " + photos.length;
      const del = document.createElement("button");
      del.type = "button";
      del.className = "m-thumb-del";
      del.textContent = "×";
      del.setAttribute("aria-label", "删除这张照片");
      del.addEventListener("click", () => { photos.splice(photos.indexOf(small), 1); fig.remove(); });
      fig.append(img, del);
      $("m-thumbs").appendChild(fig);
    }
    ev.target.value = "";
  });

  // --- 可能重复 -----------------------------------------------------------------------------------------------
  let dupeSeq = 0;
  async function lookForDuplicates() {
    const lat = Number(form.elements.lat.value), lon = Number(form.elements.lon.value);
    if (!select.value || !lat) { $("m-dupes").hidden = true; return; }
    const mine = ++dupeSeq;
    const dLat = 60 / 111000, dLon = 60 / (111000 * Math.cos(lat * Math.PI / 180));  // about 60 m around
    const q = new URLSearchParams({ category: select.value, status: "open", limit: "5", sort: "reported_desc",
      bbox: [lon - dLon, lat - dLat, lon + dLon, lat + dLat].map((v) => v.toFixed(6)).join(",") });
    try {
      const r = await fetch("/api/v1/problems?" + q, { credentials: "same-origin" });
      if (!r.ok || mine !== dupeSeq) return;
      const items = (await r.json()).items;
      const list = $("m-dupe-list");
      list.textContent = "";
      items.forEach((p) => {
        const li = document.createElement("li");
        const text = document.createElement("span");
        text.textContent = "#" + p.id + " " + p.category_name + " · " + p.status_name + " · " +
          new Date(p.reported_at).toLocaleString("zh-CN", { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" }) +
          (p.description ? " · " + p.description.slice(0, 40) : "");
        const add = document.createElement("button");
        add.type = "button";
        add.className = "m-btn secondary m-small";
        add.textContent = "是同一个，补充照片";
        add.addEventListener("click", () => addToExisting(p));
        li.append(text, add);
        list.appendChild(li);
      });
      $("m-dupes").hidden = !items.length;
    } catch (e) { $("m-dupes").hidden = true; }
  }

  async function addToExisting(p) {
    if (!photos.length) { showError("请先拍照，再补充到这个问题"); return; }
    await M_OUTBOX.add({ kind: "photo", label: "补充照片：#" + p.id + " " + p.category_name, problemId: p.id,
      photos: photos.slice() });
    done("已补充到 #" + p.id, [["问题", "#" + p.id + " " + p.category_name], ["照片", photos.length + " 张"]], p.id);
  }

  // --- send ------------------------------------------------------------------------------------------------
  function showError(text) { $("m-error").textContent = text || ""; }

  function done(title, rows, pid) {
    form.hidden = true;
    $("m-result").hidden = false;
    $("m-result-title").textContent = title;
    const dl = $("m-result-facts");
    dl.textContent = "";
    rows.forEach(([k, v]) => {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v;
      dl.append(dt, dd);
    });
    const link = $("m-result-link");
    link.hidden = !pid;
    if (pid) link.href = "/maps/problems/" + pid;
    window.scrollTo(0, 0);
  }

  let pending = null;  // the outbox id of the report just sent, to show its answer when it comes
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showError("");
    if (!select.value) { showError("请选择问题类别"); return; }
    if (!form.elements.lat.value) { showError("还没有位置：请定位或拖动图钉"); return; }
    const f = form.elements;
    const report = { category: f.category.value, source: f.source.value, lon: Number(f.lon.value), lat: Number(f.lat.value),
      description: f.description.value.trim() };
    if (f.address.value.trim()) report.address = f.address.value.trim();
    if (takenAt) report.reported_at = takenAt.toISOString();
    const id = M_OUTBOX.uuid();
    report.external_id = "m:" + id;  // a second guard: intake answers the same problem for the same external id
    pending = id;
    form.querySelector("[type=submit]").disabled = true;
    await M_OUTBOX.add({ id, kind: "report", label: "上报：" + select.selectedOptions[0].textContent, report,
      photos: photos.slice() });
    done("已保存，正在发送…", [["类别", select.selectedOptions[0].textContent], ["照片", photos.length + " 张"],
      ["状态", navigator.onLine ? "发送中" : "无网络：联网后自动发送"]]);
  });

  // The outbox says when the report (and its photos) reached the server: show where it went.
  document.addEventListener("m:outbox", (ev) => {
    const job = ev.detail.done.find((j) => j.id === pending);
    if (!job) {
      const waiting = ev.detail.jobs.find((j) => j.id === pending);
      if (waiting && waiting.error) {  // the form comes back as it was, to move the pin or change the category
        M_OUTBOX.drop(waiting.id);
        pending = null;
        $("m-result").hidden = true;
        form.hidden = false;
        form.querySelector("[type=submit]").disabled = false;
        showError("未能上报：" + M_OUTBOX.explain(waiting));
        $("m-error").scrollIntoView({ block: "center" });
      }
      return;
    }
    const p = job.done.problem;
    const owners = (p.owners || []).map((o) => o.role_name + " " + (o.holder || "")).join("、") || "暂无责任人（由创城办派遣）";
    const place = [p.street_name, p.point_name, p.grid_cell_code ? "网格 " + p.grid_cell_code : null].filter(Boolean).join(" · ");
    done("已上报 #" + p.id, [["类别", p.category_name], ["位置", place || "—"], ["责任人", owners],
      ["照片", job.done.photos.length + " 张已上传"], ["期限", p.due_at ? new Date(p.due_at).toLocaleString("zh-CN") : "立案后计时"]], p.id);
    document.body.dataset.reported = String(p.id);
  });
})();
