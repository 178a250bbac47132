/* The tools of one place (places/_panel.html, on the place page and in the owners map's panel): the 移交 form
   opened under its owner's row, "the whole street" in the assign form, and the handover preview, which asks
   POST /api/v1/assignments/handover with dry_run (the same checks as the real move, nothing written) and shows
   what would pass to the new holder before 确认移交. Text from the answer goes in through textContent. */
(function () {
  "use strict";

  const LAYER = { streets: "道路", grid_cells: "网格", assessment_points: "点位" };

  function line(text, cls) {
    const p = document.createElement("div");
    if (cls) p.className = cls;
    p.textContent = text;
    return p;
  }

  function showPreview(form, answer) {
    const box = form.querySelector(".ccg-preview");
    box.textContent = "";
    // A whole street is many segments of one name: one entry with its count, not the name twenty times.
    const groups = new Map();
    answer.places.forEach((p) => {
      const key = (p.name || p.code || LAYER[p.layer] + " #" + p.feature_id) + "（" + p.role_name + "）";
      groups.set(key, (groups.get(key) || 0) + 1);
    });
    const places = [...groups].map(([key, n]) => (n > 1 ? key.replace("（", " " + n + " 个路段（") : key));
    box.appendChild(line("将移交 " + answer.places.length + " 处，" + answer.on + " 起生效：" + places.join("、"), "ccg-preview-places"));
    if (answer.problems.length) {
      box.appendChild(line("随同移交未办结问题 " + answer.problems.length + " 件：" +
        answer.problems.map((p) => "#" + p.id + " " + p.category_name).join("、"), "ccg-preview-problems"));
    }
    if (answer.staying_problems.length) {
      box.appendChild(line("仍由原责任人办理的未办结问题 " + answer.staying_problems.length + " 件", "ccg-muted"));
    }
    box.dataset.ready = "1";
  }

  async function preview(form) {
    const box = form.querySelector(".ccg-preview");
    CCG.showError(form, null);
    box.dataset.ready = "";
    const body = CCG.values(form);
    if (!body.to_person_id && !body.to_unit_id) {
      CCG.showError(form, new Error("请先从列表中选择新的责任人"));
      return;
    }
    body.dry_run = true;
    try {
      showPreview(form, await CCG.api("POST", form.dataset.api, body));
    } catch (err) {
      box.textContent = "";
      CCG.showError(form, err);
    }
  }

  document.addEventListener("click", (ev) => {
    const toggle = ev.target.closest("[data-toggle]");
    if (toggle) {
      const row = document.getElementById(toggle.dataset.toggle);
      if (row) {
        row.hidden = !row.hidden;
        const q = row.querySelector(".ccg-picker-q");
        if (!row.hidden && q) q.focus();
      }
      return;
    }
    const button = ev.target.closest("[data-preview-button]");
    if (button && button.form) preview(button.form);
  });

  // "The whole street": the street's name names the place, so the one segment's id is left out.
  document.addEventListener("change", (ev) => {
    const box = ev.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-whole-street")) return;
    const id = box.form.elements.feature_id;
    if (id) id.disabled = box.checked;
  });
})();
