/* The campaign pages' small behaviours (notices/list.html, dispatches/*.html); every write still goes through
   workbench.js's data-api forms or CCG.importForm:
   - 发布通报: the 红黑榜 checkboxes keep the hidden `levels` field (sent as JSON) in step;
   - 新建交办单: the way of picking problems (a select without a name: not sent) enables its own fields only
     (disabled fields are not sent);
   - the returned Excel of a 交办单: 预览 first, then 确认导入 (CCG.importForm). */
(function () {
  "use strict";

  const publish = document.getElementById("ccg-notice-form");
  if (publish) {
    const hidden = publish.elements.levels;
    const boxes = Array.from(publish.querySelectorAll("input[data-level]"));
    const sync = () => { hidden.value = JSON.stringify(boxes.filter((b) => b.checked).map((b) => b.dataset.level)); };
    boxes.forEach((b) => b.addEventListener("change", sync));
    sync();
  }

  const create = document.getElementById("ccg-dispatch-form");
  if (create) {
    const source = document.getElementById("ccg-dispatch-source");
    const ids = create.querySelector("[data-ids]");
    const toggle = () => {
      const chosen = source.value;
      create.querySelectorAll("[data-source]").forEach((el) => {
        const on = el.dataset.source === chosen;
        el.hidden = !on;
        el.querySelectorAll("input, textarea").forEach((f) => { f.disabled = !on; });
      });
    };
    source.addEventListener("change", toggle);
    toggle();
    if (ids) {  // 1203, 1204 1205 → [1203, 1204, 1205] in the hidden problem_ids (sent as JSON)
      const target = create.elements.problem_ids;
      ids.addEventListener("input", () => {
        const nums = (ids.value.match(/\d+/g) || []).map(Number);
        target.value = nums.length ? JSON.stringify(nums) : "";
      });
    }
  }

  const upload = document.getElementById("ccg-dispatch-import");
  if (upload && window.CCG) {
    const FIELD = { problem_id: "问题编号", reply: "整改情况（回复）", row: "整行", file: "文件" };
    const OUTCOME = { replied: "记录回复", unchanged: "与已有回复相同", empty: "未填写" };
    const plan = document.getElementById("ccg-dispatch-preview");
    const skip = upload.elements.skip_invalid;
    CCG.importForm({
      form: upload, plan, flash: document.getElementById("ccg-dispatch-flash"),
      previewButton: upload.querySelector("[data-import-preview]"), options: [skip], missing: "请先选择回执文件",
      fields: FIELD,
      show(a) {
        plan.querySelector(".ccg-preview-title").textContent = "共 " + a.rows + " 行：将记录回复 " + a.replied +
          " 条，与已有回复相同 " + a.unchanged + " 条，未填写 " + a.empty + " 条" +
          (a.rejected.length ? "；有误 " + a.rejected.length + " 行" : "");
        const rows = plan.querySelector("#ccg-dispatch-rows tbody");
        rows.textContent = "";
        a.outcomes.forEach((o) => CCG.row(rows, [[o.row, "num"], [o.seq, "num"], [o.problem_id, "num"],
          [OUTCOME[o.outcome] || o.outcome], [o.reply || ""]]));
      },
      verdict(a) {
        if (a.replied > 0 && (!a.rejected.length || skip.checked)) return "";
        if (a.rejected.length && !skip.checked) return "有误的行须先改正，或勾选跳过有误的行";
        return "没有新的回复";
      },
      done(a, flash) {
        flash.textContent = "已记录回复 " + a.replied + " 条" + (a.rejected.length ? "，跳过有误的 " + a.rejected.length + " 行" : "") + "。";
        setTimeout(() => window.location.reload(), 600);
      },
    });
  }
})();
