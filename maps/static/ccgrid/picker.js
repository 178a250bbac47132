/* The person/unit picker of the workbench forms (macro `picker` in places/_macros.html): typing asks
   GET /api/v1/people?q= (people) or reads GET /api/v1/units once (units are few; data-kind="any" offers both),
   the choice fills the hidden {prefix}person_id or {prefix}unit_id. data-kind="role" follows the form's role select: a unit's role
   (data-holder="unit") picks a unit, any other a person. A required picker with nothing chosen stops the submit
   before workbench.js sends it. Names go in through textContent only. */
(function () {
  "use strict";

  let units = null;
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function kindOf(picker) {
    if (picker.dataset.kind !== "role") return picker.dataset.kind || "person";
    const role = picker.form && picker.form.querySelector("select.ccg-role");
    const option = role && role.options[role.selectedIndex];
    return option && option.dataset.holder === "unit" ? "unit" : "person";
  }

  function hidden(picker, which) {
    return picker.querySelector("input[type=hidden][name='" + picker.dataset.prefix + which + "_id']");
  }

  function clear(picker) {
    hidden(picker, "person").value = "";
    hidden(picker, "unit").value = "";
    picker.dataset.chosen = "";
  }

  function choose(picker, kind, id, label) {
    clear(picker);
    hidden(picker, kind).value = String(id);
    picker.dataset.chosen = kind + ":" + id;
    picker.querySelector(".ccg-picker-q").value = label;
    picker.querySelector(".ccg-picker-list").textContent = "";
    picker.dispatchEvent(new CustomEvent("ccg:picked", { bubbles: true, detail: { kind, id, label } }));
  }

  async function unitRows(q) {
    units = units || await CCG.api("GET", "/api/v1/units");
    return units.filter((u) => u.active !== false && (!q || u.name.includes(q))).slice(0, 20)
      .map((u) => ({ kind: "unit", id: u.id, label: u.name, note: "单位" }));
  }

  async function candidates(kind, q, region) {
    if (kind === "unit") return unitRows(q);
    if (kind === "any") {  // a person or a unit: the units whose name matches after the people
      const [people, found] = await Promise.all([candidates("person", q, region), q ? unitRows(q) : []]);
      return people.concat(found);
    }
    const params = new URLSearchParams({ active: "true", limit: "20" });
    if (q) params.set("q", q);
    else if (region) params.set("region", region);
    const people = await CCG.api("GET", "/api/v1/people?" + params.toString());
    return people.map((p) => ({ kind: "person", id: p.id, label: p.name,
      note: [p.title, p.unit_name].filter(Boolean).join(" · ") }));
  }

  async function refill(picker) {
    const list = picker.querySelector(".ccg-picker-list");
    const q = picker.querySelector(".ccg-picker-q").value.trim();
    const mine = (picker._seq = (picker._seq || 0) + 1);
    try {
      const rows = await candidates(kindOf(picker), q, picker.dataset.region || "");
      if (mine !== picker._seq) return;
      list.textContent = "";
      if (!rows.length) {
        const none = document.createElement("span");
        none.className = "ccg-muted";
        none.textContent = "没有找到";
        list.appendChild(none);
      }
      rows.forEach((r) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "ccg-picker-option";
        b.setAttribute("role", "option");
        b.dataset.id = String(r.id);
        b.textContent = r.label;
        if (r.note) {
          const n = document.createElement("small");
          n.textContent = " " + r.note;
          b.appendChild(n);
        }
        b.addEventListener("click", () => choose(picker, r.kind, r.id, r.label));
        list.appendChild(b);
      });
    } catch (err) {
      list.textContent = "查找失败：" + err.message;
    }
  }

  function attach(picker) {
    if (picker._ccgPicker) return;
    picker._ccgPicker = true;
    const input = picker.querySelector(".ccg-picker-q");
    let timer = null;
    input.addEventListener("input", () => {
      clear(picker);
      clearTimeout(timer);
      timer = setTimeout(() => refill(picker), 250);
    });
    input.addEventListener("focus", () => { if (!picker.dataset.chosen) refill(picker); });
    const role = picker.form && picker.form.querySelector("select.ccg-role");
    if (role && picker.dataset.kind === "role") {
      // A person stays chosen when the role changes, unless the new role is held by a unit (or back).
      let kind = kindOf(picker);
      role.addEventListener("change", () => {
        if (kindOf(picker) === kind) return;
        kind = kindOf(picker);
        clear(picker);
        input.value = "";
        refill(picker);
      });
    }
  }

  // Before workbench.js (which listens on document, bubbling): a required picker must have a choice.
  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    const empty = $$(".ccg-picker", form).find((p) => p.querySelector("[data-required]") && !p.dataset.chosen);
    if (!empty) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    const err = new Error("请先从列表中选择" + ({ unit: "单位", any: "责任人或单位" }[kindOf(empty)] || "责任人"));
    if (window.CCG) CCG.showError(form, err);
    empty.querySelector(".ccg-picker-q").focus();
  }, true);

  function scan(root) { $$(".ccg-picker", root).forEach(attach); }

  window.CCG_PICKER = { scan, choose, clear };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => scan());
  else scan();
})();
