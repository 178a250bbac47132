/* 人员交接 (owners/handover.html): 预览 asks POST /api/v1/assignments/handover with dry_run (the same checks as
   the move, nothing written) and lists every place and open problem that would pass; only a preview of the form
   as it stands enables 确认移交, and any change to the form asks for a new one. The move itself is the same
   request without dry_run (workbench.js sends it; data-then="event" brings the answer back here). */
(function () {
  "use strict";

  const LAYER = { streets: "道路", grid_cells: "网格", assessment_points: "点位", regions: "区域" };
  const form = document.getElementById("ccg-handover");
  const box = document.getElementById("ccg-handover-preview");
  const flash = document.getElementById("ccg-handover-flash");
  const submit = form.querySelector("[type=submit]");
  let previewed = null;  // the body the shown preview answers

  function cell(tr, text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text == null ? "" : String(text);
    tr.appendChild(td);
    return td;
  }

  function link(td, href, text) {
    td.textContent = "";
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    td.appendChild(a);
  }

  function body() {
    const b = CCG.values(form);
    b.move_open_problems = Boolean(form.elements.move_open_problems.checked);
    return b;
  }

  function pickedBoth(b) {
    if (!b.from_person_id && !b.from_unit_id) return "请先从列表中选择原责任人或单位";
    if (!b.to_person_id && !b.to_unit_id) return "请先从列表中选择接任的责任人或单位";
    if (b.from_person_id && b.from_person_id === b.to_person_id) return "原责任人和接任者是同一人";
    return null;
  }

  function show(answer) {
    box.hidden = false;
    box.querySelector(".ccg-preview-title").textContent = answer.places.length
      ? "将移交 " + answer.places.length + " 处地点，" + answer.on + " 起由接任者负责"
      : "原责任人在 " + answer.on + " 没有符合条件的地点可移交";
    const places = box.querySelector("#ccg-handover-places tbody");
    places.textContent = "";
    answer.places.forEach((p) => {
      const tr = document.createElement("tr");
      link(cell(tr, ""), "/maps/places/" + p.layer + "/" + p.feature_id,
        (p.name || p.code || "#" + p.feature_id) + (p.street_group ? "（整条道路）" : ""));
      cell(tr, LAYER[p.layer] || p.layer);
      cell(tr, p.role_name);
      cell(tr, p.valid_from);
      cell(tr, p.open_problems, "num");
      places.appendChild(tr);
    });
    const problems = box.querySelector("#ccg-handover-problems tbody");
    problems.textContent = "";
    box.querySelector(".ccg-problems-title").textContent = answer.problems.length
      ? "随同移交的未办结问题 " + answer.problems.length + " 件" : "没有随同移交的未办结问题";
    const names = new Map(answer.places.map((p) => [p.layer + ":" + p.feature_id, p.name || p.code]));
    answer.problems.forEach((p) => {
      const tr = document.createElement("tr");
      link(cell(tr, ""), "/maps/problems/" + p.id, "#" + p.id);
      cell(tr, p.category_name);
      cell(tr, p.status_name);
      cell(tr, (p.due_at || "—").slice(0, 16).replace("T", " ") + (p.overdue ? " 已超期" : ""),
        p.overdue ? "ccg-overdue" : "");
      cell(tr, names.get(p.layer + ":" + p.feature_id) || LAYER[p.layer] || p.place);
      problems.appendChild(tr);
    });
    box.querySelector("#ccg-handover-problems").hidden = !answer.problems.length;
    box.querySelector(".ccg-staying").textContent = answer.staying_problems.length
      ? "另有 " + answer.staying_problems.length + " 件未办结问题仍由原责任人办理" +
        (body().move_open_problems ? "（不在移交范围内的地点）" : "（未勾选随同移交）") : "";
  }

  async function preview() {
    CCG.showError(form, null);
    flash.hidden = true;
    const b = body();
    const refusal = pickedBoth(b);
    if (refusal) { CCG.showError(form, new Error(refusal)); return; }
    previewed = null;
    submit.disabled = true;
    try {
      const answer = await CCG.api("POST", form.dataset.api, Object.assign({}, b, { dry_run: true }));
      show(answer);
      previewed = JSON.stringify(b);
      submit.disabled = !answer.places.length;
      submit.title = answer.places.length ? "" : "没有可移交的地点";
    } catch (err) {
      box.hidden = true;
      CCG.showError(form, err);
    }
  }

  function stale() {
    if (previewed === null) return;
    previewed = null;
    submit.disabled = true;
    submit.title = "先预览";
    box.hidden = true;
  }

  form.querySelector("[data-handover-preview]").addEventListener("click", preview);
  form.addEventListener("input", stale);
  form.addEventListener("change", stale);
  form.addEventListener("ccg:picked", stale);
  // The preview must answer what is sent: a form changed since (a race with typing) is stopped here.
  form.addEventListener("submit", (ev) => {
    if (previewed !== JSON.stringify(body())) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      stale();
      CCG.showError(form, new Error("表单已改动，请重新预览"));
    }
  }, true);
  form.addEventListener("ccg:done", (ev) => {
    const a = ev.detail;
    box.hidden = true;
    previewed = null;
    setTimeout(() => { submit.disabled = true; });  // after workbench.js re-enables its button
    flash.hidden = false;
    flash.className = "ccg-flash";
    flash.textContent = "已移交 " + a.places.length + " 处地点" +
      (a.moved_problems.length ? "、未办结问题 " + a.moved_problems.length + " 件" : "") + "（" + a.on + " 起生效）。";
    const to = body().to_person_id;
    if (to) {
      flash.appendChild(document.createTextNode(" "));
      const link2 = document.createElement("a");
      link2.href = "/maps/people/" + to;
      link2.textContent = "查看接任者";
      flash.appendChild(link2);
    }
  });
})();
