/* 规则设置 (rules/page.html). The row, add and settings forms are workbench.js data-api forms; this script opens and
   closes them (data-toggle="id"), points the calendar's 设置某一天 form at its day, and runs the calendar file:
   预览 posts it to POST /api/v1/calendar/import?dry_run=true and lists each day's change (or the bad lines with
   their numbers); 确认导入 is enabled only by a preview of this very file without bad lines that changes
   something, and sends the same request without dry_run. */
(function () {
  "use strict";

  // Open or close a hidden form (a row's edit form, the add form); the 编辑 button says which is open.
  document.addEventListener("click", (ev) => {
    const button = ev.target.closest("[data-toggle]");
    if (!button) return;
    const target = document.getElementById(button.dataset.toggle);
    if (!target) return;
    target.hidden = !target.hidden;
    document.querySelectorAll(`[data-toggle="${button.dataset.toggle}"][aria-expanded]`).forEach((b) => {
      b.setAttribute("aria-expanded", String(!target.hidden));
      b.textContent = target.hidden ? "编辑" : "收起";
    });
    if (!target.hidden) {
      const first = target.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    }
  });

  // 设置某一天: the day is the URL's (PUT /api/v1/calendar/{day}), not a field of the body.
  const setDay = document.getElementById("ccg-cal-set");
  if (setDay) {
    setDay.addEventListener("submit", () => {
      setDay.dataset.api = "/api/v1/calendar/" + document.getElementById("ccg-cal-set-day").value;
    });  // runs before workbench.js's handler on the document, which sends the form
  }

  const form = document.getElementById("ccg-cal-file");
  if (!form) return;
  const ACTION = { create: "新增", change: "修改", same: "不变", remove: "恢复为平常" };
  const plan = document.getElementById("ccg-cal-plan");
  const kind = (isWorkday) => (isWorkday === null || isWorkday === undefined ? "—" : (isWorkday ? "上班" : "放假"));

  CCG.importForm({
    form, plan, flash: document.getElementById("ccg-cal-flash"), previewButton: document.getElementById("ccg-cal-preview"),
    options: [form.elements.replace], missing: "请先选择日历文件",
    fields: { day: "日期", kind: "安排", note: "说明", row: "整行", file: "文件" },
    show(a) {
      plan.querySelector(".ccg-preview-title").textContent = "共 " + a.lines + " 行（" + a.years.join("、") +
        " 年）：新增 " + a.created + " 天，修改 " + a.changed + " 天，不变 " + a.unchanged + " 天" +
        (a.replace ? "，恢复为平常 " + a.removed + " 天" : "") + (a.rejected.length ? "；有误 " + a.rejected.length + " 行" : "");
      const rows = plan.querySelector("#ccg-cal-rows tbody");
      rows.textContent = "";
      a.days.forEach((d) => {
        const before = d.before ? "（原为" + kind(d.before.is_workday) + (d.before.note ? " " + d.before.note : "") + "）" : "";
        CCG.row(rows, [[d.line, "num"], [d.day, "ccg-nowrap"], [kind(d.is_workday)], [d.note],
          [ACTION[d.action] + (d.action === "change" || d.action === "remove" ? before : "")]],
          d.action === "same" ? "ccg-muted" : "");
      });
    },
    verdict(a) {
      if (a.rejected.length) return "有误的行须先改正";
      return a.created + a.changed + a.removed ? "" : "文件与日历一致，无需导入";
    },
    done(a, flash) {
      flash.textContent = "已导入：新增 " + a.created + " 天，修改 " + a.changed + " 天" +
        (a.replace ? "，恢复为平常 " + a.removed + " 天" : "") + "。";
      window.setTimeout(() => window.location.reload(), 1200);
    },
  });
})();
