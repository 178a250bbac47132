/* 点位检查 (m/visit.html): 合格 / 不合格 per checklist item; a failed item opens its note and photos. 提交 queues
   one outbox job: the visit (every item's result, the notes of failed ones), then each failed item's photos to
   the problem the server raised for it. The page says what was found once the server confirms. */
(function () {
  "use strict";

  const form = document.getElementById("m-visit");
  if (!form) return;
  const photos = {};  // item code -> [Blob], shrunk on the phone

  function failed(item) { return item.querySelector("input[type=radio][value='0']").checked; }

  // A visit counted for a 测评 round is of the round's kind: the kind is shown and not chosen.
  const round = form.elements.round_id;
  function roundKind() {
    const opt = round && round.selectedOptions[0];
    const kind = opt && opt.dataset.kind;
    if (kind) form.elements.kind.value = kind;
    form.elements.kind.disabled = Boolean(kind);
    const next = document.getElementById("m-visit-next");
    if (next) next.href = kind ? "/m/rounds" : "/m/points";
  }
  if (round) { round.addEventListener("change", roundKind); roundKind(); }

  form.addEventListener("change", async (ev) => {
    const item = ev.target.closest(".m-item");
    if (!item) return;
    if (ev.target.type === "radio") {
      item.dataset.failed = failed(item) ? "1" : "";
      item.querySelector(".m-item-fail").hidden = !failed(item);
      if (failed(item)) item.querySelector("textarea").focus();
    }
    if (ev.target.type === "file") {
      const code = item.dataset.code;
      photos[code] = photos[code] || [];
      for (const f of ev.target.files) photos[code].push(await M_OUTBOX.shrink(f));
      ev.target.value = "";
      const thumbs = item.querySelector(".m-thumbs");
      thumbs.textContent = "";
      photos[code].forEach((b) => {
        const fig = document.createElement("figure");
        const img = document.createElement("img");
        img.alt = "问题照片";
        img.src = URL.createObjectURL(b);
        fig.appendChild(img);
        thumbs.appendChild(fig);
      });
    }
  });

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const items = Array.from(form.querySelectorAll(".m-item"));
    const results = {}, notes = {}, kept = {};
    items.forEach((item) => {
      const code = item.dataset.code;
      results[code] = !failed(item);
      const text = item.querySelector("textarea").value.trim();
      if (!results[code] && text) notes[code] = text;
      if (!results[code] && photos[code] && photos[code].length) kept[code] = photos[code];
    });
    const bad = items.filter(failed).length;
    const body = { kind: form.elements.kind.value, results, visited_at: new Date().toISOString(),
      inspector: document.querySelector(".m-who").textContent.trim() || "检查员" };
    if (round && round.value) { body.round_id = Number(round.value); delete body.kind; }
    if (Object.keys(notes).length) body.notes = notes;
    const name = document.querySelector(".m-card h2").textContent;
    const jobId = await M_OUTBOX.add({ kind: "visit", label: "点位检查 · " + name + (bad ? "（" + bad + " 项不合格）" : ""),
      visit: { pointId: Number(form.dataset.point), body, photos: kept } });
    form.hidden = true;
    form.dataset.job = jobId;
    document.getElementById("m-visit-done").hidden = false;
    document.getElementById("m-visit-state").textContent = "检查结果已保存在手机上，" +
      (navigator.onLine ? "正在发送…" : "联网后自动发送。");
  });

  document.addEventListener("m:outbox", (ev) => {
    const job = ev.detail.done.find((j) => j.id === form.dataset.job);
    const state = document.getElementById("m-visit-state");
    if (job) {
      const v = job.done.visit;
      state.textContent = "已提交：得分 " + v.score + "（百分制）" + (v.problems.length ? "，不合格项已生成问题 " +
        v.problems.map((p) => "#" + p).join("、") + "，已转给点位责任人" : "，全部合格");
      document.body.dataset.visited = String(v.id);
      return;
    }
    const refused = (ev.detail.jobs || []).find((j) => j.id === form.dataset.job && j.error);
    if (refused) state.textContent = "未能提交：" + M_OUTBOX.explain(refused) + "（可在“待发送”中删除）";
  });
})();
