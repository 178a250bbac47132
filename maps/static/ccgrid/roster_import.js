/* 花名册导入 (owners/import.html): 预览 posts the file to POST /api/v1/assignments/import?dry_run=true (the
   import run and rolled back) and shows each row's outcome: the holder matched or created, the places, and the
   rows refused with their field and reason. 确认导入 is enabled only by a preview of this very file that would
   import (no refused rows, or 跳过有误的行 ticked and some good rows); it sends the same request without dry_run. */
(function () {
  "use strict";

  const LAYER = { streets: "道路", grid_cells: "网格", assessment_points: "点位", regions: "区域" };
  const FIELD = { name: "姓名", phone: "电话", unit: "单位", role: "角色", layer: "图层", code: "编码",
    street: "道路", feature_id: "地点", valid_from: "起始日期", valid_to: "截止日期", note: "备注", row: "整行",
    file: "文件" };
  const form = document.getElementById("ccg-roster");
  const plan = document.getElementById("ccg-roster-preview");
  const skip = form.elements.skip_invalid;

  CCG.importForm({
    form, plan, flash: document.getElementById("ccg-roster-flash"),
    previewButton: form.querySelector("[data-roster-preview]"), options: [skip], missing: "请先选择花名册文件",
    fields: FIELD,
    show(a) {
      const good = a.outcomes.length;
      const created = a.outcomes.filter((o) => o.holder_state === "created").length;
      plan.querySelector(".ccg-preview-title").textContent = "共 " + a.rows + " 行：可导入 " + good + " 行" +
        "（新建人员/单位 " + created + "，匹配已有 " + (good - created) + "），将新建指派 " + a.created + " 条，" +
        "已存在 " + a.unchanged + " 条" + (a.rejected.length ? "；有误 " + a.rejected.length + " 行" : "");
      const rows = plan.querySelector("#ccg-roster-rows tbody");
      rows.textContent = "";
      a.outcomes.forEach((o) => CCG.row(rows, [[o.row, "num"], [o.holder], [o.holder_state === "created" ? "新建" : "已有"],
        [o.role], [LAYER[o.layer] || o.layer], [o.place], [o.created, "num"], [o.unchanged, "num"]]));
    },
    verdict(a) {
      if (a.outcomes.length > 0 && (!a.rejected.length || skip.checked)) return "";
      return a.rejected.length ? "有误的行须先改正，或勾选跳过有误的行" : "没有可导入的行";
    },
    done(a, flash) {
      flash.textContent = "已导入 " + a.outcomes.length + " 行：新建指派 " + a.created + " 条，已存在 " + a.unchanged +
        " 条" + (a.rejected.length ? "，跳过有误的 " + a.rejected.length + " 行" : "") + "。";
      const link = document.createElement("a");
      link.href = "/maps/owners";
      link.textContent = " 到责任人地图查看";
      flash.appendChild(link);
      form.reset();
    },
  });
})();
