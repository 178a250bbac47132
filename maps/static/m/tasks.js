/* 我的任务 (m/tasks.html): each action goes into the phone's outbox (outbox.js) as one job — the photo first when
   the action needs one (整改完成: taken with the camera, shrunk on the phone), then the action citing it — so a
   weak link loses nothing and a retry writes nothing twice. The card says what happened: 待发送 while queued, the
   new status once the server confirms, or the server's refusal. Text goes in through textContent. */
(function () {
  "use strict";

  const STATUS = { in_progress: "整改中", rectified: "已整改", dispatched: "已派遣", verified: "已核查",
    closed: "已销号", registered: "已立案" };

  function note(card, text, cls) {
    const p = card.querySelector(".m-task-note");
    p.className = "m-small m-task-note " + (cls || "");
    p.textContent = text;
  }

  async function queue(card, action, photos, where) {
    const id = Number(card.dataset.id);
    const title = card.querySelector(".m-task-head b").textContent;
    const jobId = await M_OUTBOX.add({ kind: "action", label: action.action + " · #" + id + " " + title,
      problemId: id, photos, action, where: where || null });
    card.dataset.job = jobId;
    card.querySelectorAll("button, .m-sheet").forEach((el) => { if (el.tagName === "FORM") el.hidden = true; else el.disabled = true; });
    note(card, "已保存在手机上，" + (navigator.onLine ? "正在发送…" : "联网后自动发送"));
  }

  document.addEventListener("click", (ev) => {
    const card = ev.target.closest(".m-task");
    if (!card) return;
    const now = ev.target.closest("button[data-act]");
    if (now) { queue(card, { action: now.dataset.act }, []); return; }
    const open = ev.target.closest("button[data-open]");
    if (open) {
      const sheet = document.getElementById("sheet-" + open.dataset.open);
      card.querySelectorAll(".m-sheet").forEach((s) => { if (s !== sheet) s.hidden = true; });
      sheet.hidden = !sheet.hidden;
      if (!sheet.hidden) (sheet.querySelector("textarea") || sheet).focus();
    }
  });

  // The photo: shown small before sending, one per action (the newest replaces the last).
  document.addEventListener("change", async (ev) => {
    const input = ev.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.closest(".m-sheet")) return;
    const sheet = input.closest(".m-sheet");
    const thumbs = sheet.querySelector(".m-thumbs");
    thumbs.textContent = "";
    sheet.querySelector(".m-error").textContent = "";
    sheet._photo = null;
    if (!input.files.length) return;
    sheet._where = M_OUTBOX.fix();  // asked for while the photo shrinks: where it was taken
    sheet._photo = await M_OUTBOX.shrink(input.files[0]);
    const img = document.createElement("img");
    img.alt = "整改照片";
    img.src = URL.createObjectURL(sheet._photo);
    const fig = document.createElement("figure");
    fig.appendChild(img);
    thumbs.appendChild(fig);
  });

  document.addEventListener("submit", (ev) => {
    const sheet = ev.target;
    if (!sheet.classList.contains("m-sheet")) return;
    ev.preventDefault();
    const card = sheet.closest(".m-task");
    const error = sheet.querySelector(".m-error");
    error.textContent = "";
    const action = { action: sheet.dataset.act };
    const text = (sheet.elements.note.value || "").trim();
    const until = sheet.elements.until && sheet.elements.until.value;
    if (sheet.elements.photo && !sheet._photo) { error.textContent = "请先拍摄照片"; return; }
    if (sheet.elements.note.required && !text) { error.textContent = "请填写理由"; return; }
    if (action.action === "延期") {
      if (!until) { error.textContent = "请选择延至的日期"; return; }
      action.due_at = until + "T18:00:00+08:00";
    }
    const said = action.action === "申请延期" && until ? "希望延至 " + until + "。" + text : text;
    if (said) action.note = said;
    Promise.resolve(sheet._photo && sheet._where).then((where) => queue(card, action, sheet._photo ? [sheet._photo] : [], where));
  });

  // The server's word on each job of this page: the new status, or why it was refused.
  let refresh = null;
  document.addEventListener("m:outbox", (ev) => {
    ev.detail.done.forEach((job) => {
      const card = document.querySelector(".m-task[data-job='" + job.id + "']");
      if (!card || !job.done.action) return;
      const to = job.done.action.to;
      card.dataset.status = to;
      card.querySelector(".m-task-status").textContent = STATUS[to] || to;
      note(card, "已提交" + job.action.action + (job.done.photos.length ? "（含照片）" : "") + "，正在刷新…", "m-sent");
      refresh = refresh || setTimeout(() => window.location.reload(), 1500);  // the next actions of its new status
    });
    (ev.detail.jobs || []).forEach((job) => {
      const card = document.querySelector(".m-task[data-job='" + job.id + "']");
      if (card && job.error) note(card, "未能提交：" + M_OUTBOX.explain(job) + "（可在“待发送”中删除）", "m-error");
    });
  });
})();
