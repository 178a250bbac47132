/* 测评 pages (rounds/list.html, rounds/detail.html): every change is a call of the JSON API through CCG.api (the
   session's CSRF token), so the API's roles and region scope decide; its refusal is shown where it happened.
   - the create form: name, kind, period, scope, the quota table (a count or a share per type), the flags, a seed
     → POST /api/v1/rounds, then the new round's page;
   - forms with data-round-post (抽样, 开始测评, 结束测评, 删除): their fields as JSON, after data-confirm;
   - 分配: balanced by 街道 among the ticked inspectors, a whole 街道 to one, or one point to one (saved at once). */
(function () {
  "use strict";

  function fail(form, err) {
    if (form) CCG.showError(form, err);
    else window.alert(err.message);
  }

  const create = document.getElementById("ccg-round-form");
  if (create) {
    create.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = create.elements;
      const quotas = [];
      create.querySelectorAll("#ccg-quota-table tbody tr").forEach((tr) => {
        const count = tr.querySelector("[data-quota=count]").value, share = tr.querySelector("[data-quota=share]").value;
        if (count !== "") quotas.push({ point_type: tr.dataset.type, count: Number(count) });
        else if (share !== "") quotas.push({ point_type: tr.dataset.type, share: Number(share) / 100 });
      });
      const body = { name: f.name.value.trim(), kind: f.kind.value, period: f.period.value.trim(),
        scope: f.scope.value || null, quotas, include_weak: f.include_weak.checked,
        include_failed_previous: f.include_failed_previous.checked };
      if (f.seed.value !== "") body.seed = Number(f.seed.value);
      if (f.note.value.trim()) body.note = f.note.value.trim();
      const button = create.querySelector("[type=submit]");
      button.disabled = true;
      CCG.showError(create, null);
      try {
        const r = await CCG.api("POST", "/api/v1/rounds", body);
        window.location.assign("/maps/rounds/" + r.id);
      } catch (err) {
        fail(create, err);
        button.disabled = false;
      }
    });
  }

  document.querySelectorAll("form[data-round-post]").forEach((form) => {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      const body = {};
      for (const el of form.elements) {
        if (el.name && el.value !== "") body[el.name] = el.type === "number" ? Number(el.value) : el.value;
      }
      const method = form.dataset.method || "POST";
      const button = form.querySelector("[type=submit]");
      button.disabled = true;
      CCG.showError(form, null);
      try {
        await CCG.api(method, form.dataset.roundPost, method === "DELETE" ? undefined : body);
        if (form.dataset.then) window.location.assign(form.dataset.then);
        else window.location.reload();
      } catch (err) {
        fail(form, err);
        button.disabled = false;
      }
    });
  });

  // 易失分/易反弹: flagged points are always in later rounds' samples.
  document.querySelectorAll("button.ccg-weak-toggle").forEach((btn) => {
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      const on = Boolean(btn.dataset.weak);
      try {
        if (on) await CCG.api("DELETE", "/api/v1/weak-points/" + btn.dataset.point);
        else await CCG.api("POST", "/api/v1/weak-points", { point_id: Number(btn.dataset.point), kind: "easy_loss" });
        btn.dataset.weak = on ? "" : "1";
        btn.textContent = on ? "标为易失分" : "取消易失分";
        const row = btn.closest("tr");
        if (on && row && row.classList.contains("ccg-weak-row")) row.hidden = true;  // the list of flagged points
      } catch (err) { window.alert(err.message); }
      btn.disabled = false;
    });
  });

  const box = document.getElementById("ccg-round");
  if (!box) return;
  const url = "/api/v1/rounds/" + box.dataset.id + "/assign";
  const error = document.getElementById("ccg-assign-error");
  const say = (err) => { if (error) error.textContent = err ? err.message : ""; else if (err) window.alert(err.message); };

  const auto = document.getElementById("ccg-assign-auto");
  if (auto) {
    auto.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const ids = Array.from(auto.querySelectorAll("input[name=inspector]:checked"), (el) => Number(el.value));
      say(null);
      try {
        await CCG.api("POST", url, { inspectors: ids });
        window.location.reload();
      } catch (err) { say(err); }
    });
  }
  document.querySelectorAll("select.ccg-assign-sub").forEach((sel) => {
    sel.addEventListener("change", async () => {
      if (!sel.value) return;
      say(null);
      try {
        await CCG.api("POST", url, { subdistricts: [{ subdistrict: sel.dataset.subdistrict, user_id: Number(sel.value) }] });
        window.location.reload();
      } catch (err) { say(err); }
    });
  });
  document.querySelectorAll("select.ccg-assign-point").forEach((sel) => {
    sel.addEventListener("change", async () => {
      say(null);
      sel.classList.remove("ccg-saved");
      try {
        await CCG.api("POST", url, { points: [{ point_id: Number(sel.dataset.point), user_id: sel.value ? Number(sel.value) : null }] });
        sel.classList.add("ccg-saved");
      } catch (err) { say(err); }
    });
  });
})();
