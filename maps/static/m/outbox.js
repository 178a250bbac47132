/* The field app's outbox: every write is first stored on the phone (IndexedDB, through the vendored `idb`), then
   sent, and retried until the server confirms it. Each job has a client-made id; every request of a job carries an
   Idempotency-Key derived from it, so a retry after a lost answer gets the first answer back instead of writing
   twice. A job is a few steps (a report, then its photos; a photo, then the action that cites it); the steps done
   are remembered, so a retry resumes where the last attempt stopped.

   M_OUTBOX.add(job) -> id     job: { kind, label, report?, problemId?, photos?: [Blob], action?, patrol?,
                                     visit?: { pointId, body, photos: { itemCode: [Blob] } } }
   M_OUTBOX.list()             the jobs still waiting (or refused, with the server's words)
   M_OUTBOX.flush()            send what waits now (also on load, when the network returns, and every 20 s)
   M_OUTBOX.drop(id)           forget a refused job
   document event "m:outbox"   after each change: detail = { waiting, failed, done: [job] } */
(function () {
  "use strict";

  const DB = "ccgrid-field", STORE = "outbox";
  let dbp = null;
  let sending = false;

  function db() {
    dbp = dbp || idb.openDB(DB, 1, { upgrade(d) { d.createObjectStore(STORE, { keyPath: "id" }); } });
    return dbp;
  }

  function uuid() {  // crypto.randomUUID needs a secure context; getRandomValues works on a LAN address too
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)ccgrid_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  // A refusal the server will repeat however often it is asked (bad input, not allowed): the job stops and says so.
  class Refused extends Error { constructor(message, field) { super(message); this.field = field; } }
  class LoggedOut extends Error {}

  async function send(method, url, body, key) {
    const headers = { "X-CSRF-Token": csrf(), "Idempotency-Key": key, "Accept": "application/json" };
    let payload = body;
    if (!(body instanceof FormData)) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    const r = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    const data = await r.json().catch(() => null);
    if (r.ok) return data;
    if (r.status === 401) throw new LoggedOut("登录已过期，请重新登录后再发送");
    // 408, 425, 429, 5xx and a 409 about the key itself (the first try still in flight) are worth another try.
    const inFlight = r.status === 409 && data && data.field === "Idempotency-Key";
    if ([408, 425, 429].includes(r.status) || r.status >= 500 || inFlight) throw new Error((data && data.detail) || r.status);
    throw new Refused((data && data.detail) || r.statusText || String(r.status), data && data.field);
  }

  // The photos of one problem not yet confirmed (`sent` holds the ids of those that were), each with its capture
  // time and its own key (job id, tag, index), remembered one by one so a retry resumes after the last.
  async function sendPhotos(job, problemId, blobs, sent, name, tag) {
    for (let i = sent.length; i < blobs.length; i++) {
      const form = new FormData();
      form.append("file", blobs[i], name + "-" + (i + 1) + ".jpg");
      if (blobs[i].lastModified) form.append("taken_at", new Date(blobs[i].lastModified).toISOString());
      // Where the phone was when the photo was taken (shrinking drops the camera's GPS): the server flags a
      // rectification photo taken far from the problem.
      if (job.where) { form.append("lon", String(job.where.lon)); form.append("lat", String(job.where.lat)); }
      sent.push((await send("POST", "/api/v1/problems/" + problemId + "/photos", form,
        job.id + ":" + tag + ":" + i)).id);
      await save(job);
    }
  }

  // One step after another; `job.done` keeps what the server has confirmed.
  async function run(job) {
    job.done = job.done || {};
    if (job.kind === "report" && !job.done.problem) {
      const answer = await send("POST", "/api/v1/problems", job.report, job.id + ":report");
      job.done.problem = answer;
      job.problemId = answer.id;
      await save(job);
    }
    job.done.photos = job.done.photos || [];
    await sendPhotos(job, job.problemId, job.photos || [], job.done.photos, "photo", "photo");
    if (job.action && !job.done.action) {
      const body = Object.assign({}, job.action);
      if (job.done.photos.length && !body.photo_id) body.photo_id = job.done.photos[0];
      job.done.action = await send("POST", "/api/v1/problems/" + job.problemId + "/actions", body, job.id + ":action");
      await save(job);
    }
    if (job.visit && !job.done.visit) {
      job.done.visit = await send("POST", "/api/v1/assessment-points/" + job.visit.pointId + "/visits",
        job.visit.body, job.id + ":visit");
      await save(job);
    }
    if (job.visit) {  // each failed item's photos go to the problem it raised
      job.done.itemPhotos = job.done.itemPhotos || {};
      for (const [code, blobs] of Object.entries(job.visit.photos || {})) {
        const problem = job.done.visit.failed && job.done.visit.failed[code];
        if (!problem) continue;
        job.done.itemPhotos[code] = job.done.itemPhotos[code] || [];
        await sendPhotos(job, problem, blobs, job.done.itemPhotos[code], code, "item:" + code);
      }
    }
    if (job.patrol && !job.done.patrol) {
      job.done.patrol = await send("POST", "/api/v1/patrols", job.patrol, job.id + ":patrol");
      await save(job);
    }
  }

  async function save(job) { (await db()).put(STORE, job); }

  async function list() { return (await db()).getAll(STORE); }

  async function announce(done) {
    const jobs = await list();
    const waiting = jobs.filter((j) => !j.error).length, failed = jobs.filter((j) => j.error).length;
    const badge = document.getElementById("m-outbox-badge");
    if (badge) {
      badge.hidden = !jobs.length;
      badge.querySelector("span").textContent = String(jobs.length);
      badge.classList.toggle("failed", failed > 0);
    }
    document.dispatchEvent(new CustomEvent("m:outbox", { detail: { waiting, failed, done: done || [], jobs } }));
  }

  async function flush() {
    if (sending) return;
    sending = true;
    const done = [];
    try {
      for (const job of await list()) {
        if (job.error) continue;
        try {
          await run(job);
          (await db()).delete(STORE, job.id);
          done.push(job);
        } catch (err) {
          if (err instanceof LoggedOut) { job.lastTry = err.message; await save(job); break; }
          if (err instanceof Refused) { job.error = String(err.message); job.errorField = err.field || null; }
          else job.lastTry = "网络不畅，稍后自动重试（" + err.message + "）";
          await save(job);
          if (!(err instanceof Refused)) break;  // the network is down: the rest would fail too
        }
      }
    } finally {
      sending = false;
      await announce(done);
    }
    return done;
  }

  async function add(job) {
    job.id = job.id || uuid();
    job.created = job.created || new Date().toISOString();
    await save(job);
    await announce();
    flush();
    return job.id;
  }

  async function drop(id) { (await db()).delete(STORE, id); await announce(); }

  async function retry(id) {
    const job = await (await db()).get(STORE, id);
    if (job) { delete job.error; await save(job); }
    return flush();
  }

  // The phone's position now, if it has one within a few seconds (a fix up to a minute old will do); null
  // otherwise, never an error: a photo without a position is still sent.
  function fix() {
    if (!navigator.geolocation) return Promise.resolve(null);
    return new Promise((resolve) => navigator.geolocation.getCurrentPosition(
      (pos) => resolve({ lon: +pos.coords.longitude.toFixed(6), lat: +pos.coords.latitude.toFixed(6) }),
      () => resolve(null), { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 }));
  }

  // Photos go up small: the long edge at most 1600 px, JPEG. The capture time (the file's) travels separately.
  async function shrink(file, edge) {
    const max = edge || 1600;
    const img = await createImageBitmap(file).catch(() => null);
    if (!img) return file;
    const scale = Math.min(1, max / Math.max(img.width, img.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(img.width * scale);
    canvas.height = Math.round(img.height * scale);
    canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
    // A File keeps the capture's time (lastModified) through IndexedDB; it is sent beside the photo as taken_at.
    const keep = (b) => new File([b], (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg",
      { type: "image/jpeg", lastModified: file.lastModified || Date.now() });
    return new Promise((resolve) => canvas.toBlob((b) => resolve(b ? keep(b) : file), "image/jpeg", 0.85));
  }

  // A refusal in the user's words, by the field the server named (its own words kept after, for the office).
  const WHY = {
    lon: "位置不在您的辖区内（或不在本市），请把图钉拖到辖区内再报", lat: "位置不在您的辖区内，请把图钉拖到辖区内再报",
    category: "问题类别无效，请重新选择", source: "来源无效，请重新选择", file: "照片无法使用，请换一张",
    photo_id: "照片无法使用，请重新拍摄", action: "此问题的状态已变，不能再做这个操作（刷新任务列表）",
    note: "请填写理由", due_at: "延期日期无效", results: "检查项不完整", point_id: "点位无效或不在您的辖区内",
    id: "问题不存在或不在您的辖区内", track: "巡查轨迹无效（速度或时间异常）", times: "巡查轨迹的时间有误",
    taken_at: "照片时间有误" };
  function explain(job) {
    // 核查通过 of one's own rectification (a category that needs another verifier): not a stale status.
    const own = job.errorField === "action" && /someone other than who marked it rectified/.test(job.error || "");
    const why = own ? "整改完成由您办理，本类问题须由他人核查" : WHY[job.errorField] || "服务器拒绝了这条内容";
    return why + "。（" + job.error + "）";
  }

  window.M_OUTBOX = { add, list, flush, drop, retry, shrink, fix, uuid, explain, sending: () => sending };
  window.addEventListener("online", flush);
  setInterval(() => { if (navigator.onLine) flush(); }, 20000);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", flush); else flush();

  // The app works offline once loaded: the service worker keeps the pages and assets.
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(() => {});
})();
