/* The workbench's one way to change anything: the JSON API, same origin, with the session's CSRF token (cookie
   ccgrid_csrf, sent back as X-CSRF-Token). So a page obeys exactly the API's roles and region scope.

   CCG.api(method, url, body)  -> the JSON answer; throws an Error whose .field names the refused field
   <form data-api="/api/v1/..." data-method="POST" data-then="reload|/path|event">  -> fields sent as JSON
     (empty fields left out, or sent as null when marked data-clear; data-json="a,b" fields parsed as JSON; number inputs as numbers), the API's message
     shown in the form's .ccg-form-error; data-then="event" dispatches "ccg:done" with the answer instead;
     data-confirm="question" asks first (a "no" sends nothing). */
(function () {
  "use strict";

  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)ccgrid_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  async function api(method, url, body) {
    const headers = { "X-CSRF-Token": csrf(), "Accept": "application/json" };
    let payload = body;
    if (body !== undefined && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const r = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
    if (!r.ok) {
      const detail = (data && data.detail) || (r.status + " " + r.statusText);
      const err = new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
      err.status = r.status;
      err.field = data && data.field;
      err.body = data;
      throw err;
    }
    return data;
  }

  function values(form) {
    const json = (form.dataset.json || "").split(",").filter(Boolean);
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled || el.type === "submit" || el.type === "button" || el.type === "file") continue;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) continue;
      let v = el.type === "checkbox" && el.value === "on" ? true : el.value;
      if (v === "") {
        if (el.hasAttribute("data-clear")) out[el.name] = null;  // emptied on purpose: the PATCH clears it
        continue;
      }
      if (el.type === "number") v = Number(v);
      if (json.includes(el.name)) v = JSON.parse(v);
      out[el.name] = v;
    }
    return out;
  }

  function showError(form, err) {
    let box = form.querySelector(".ccg-form-error");
    if (!box) { box = document.createElement("div"); box.className = "ccg-form-error"; form.appendChild(box); }
    box.textContent = err ? err.message : "";
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    if (err && err.field && form.elements[err.field]) form.elements[err.field].setAttribute("aria-invalid", "true");
  }

  async function submit(form) {
    const button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    showError(form, null);
    try {
      const hasFile = [...form.elements].some((el) => el.type === "file" && el.files && el.files.length);
      let body = values(form);
      if (hasFile) { body = new FormData(form); }
      const answer = await api(form.dataset.method || "POST", form.dataset.api, body);
      const then = form.dataset.then || "reload";
      if (then === "event") form.dispatchEvent(new CustomEvent("ccg:done", { detail: answer, bubbles: true }));
      else if (then === "reload") window.location.reload();
      else window.location.assign(then.replace("{id}", answer && answer.id !== undefined ? answer.id : ""));
      return answer;
    } catch (err) {
      showError(form, err);
      return null;
    } finally {
      if (button) button.disabled = false;
    }
  }

  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
    ev.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;  // a form that asks first
    submit(form);
  });

  // A row of text cells (`values`: [text, class] pairs) at the end of `tbody`; text only, never HTML.
  function row(tbody, values, cls) {
    const tr = document.createElement("tr");
    if (cls) tr.className = cls;
    values.forEach(([text, tdClass]) => {
      const td = document.createElement("td");
      if (tdClass) td.className = tdClass;
      td.textContent = text == null ? "" : String(text);
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }

  // An import form's file sent to its data-endpoint: a preview (dry_run) or the import, with each ticked option
  // (a checkbox named as the API's flag: skip_invalid, replace) as `flag=true`.
  function importFile(form, dryRun, options) {
    const q = new URLSearchParams();
    if (dryRun) q.set("dry_run", "true");
    (options || []).forEach((el) => { if (el.checked) q.set(el.name, "true"); });
    const data = new FormData();
    data.append("file", form.elements.file.files[0]);
    return api("POST", form.dataset.endpoint + "?" + q.toString(), data);
  }

  // A file import previewed first (the roster, the work calendar). 预览 (`previewButton`) posts the file with
  // dry_run, lists the refused rows (field names by `fields`) in `plan`'s .ccg-rejected table and hands the answer
  // to `show`; the form's submit is enabled only by a preview of this very file (and these options) for which
  // `verdict(answer)` has nothing against it (it returns the button's title: why not, or ""). Submitting sends
  // the same request without dry_run and hands the answer and the emptied `flash` to `done`.
  function importForm({ form, plan, flash, previewButton, options, missing, fields, show, verdict, done }) {
    const button = form.querySelector("[type=submit]");
    let ready = false;
    const stale = () => { ready = false; button.disabled = true; button.title = "先预览"; };
    previewButton.addEventListener("click", async () => {
      showError(form, null);
      flash.hidden = true;
      stale();
      if (!form.elements.file.files.length) { showError(form, Object.assign(new Error(missing), { field: "file" })); return; }
      try {
        const a = await importFile(form, true, options);
        plan.hidden = false;
        const rejected = plan.querySelector(".ccg-rejected tbody");
        rejected.textContent = "";
        a.rejected.forEach((r) => row(rejected, [[r.row, "num"], [fields[r.field] || r.field], [r.reason]]));
        plan.querySelector(".ccg-rejected").hidden = !a.rejected.length;
        show(a);
        const why = verdict(a);
        ready = !why;
        button.disabled = !ready;
        button.title = why;
      } catch (err) {
        plan.hidden = true;
        showError(form, err);
      }
    });
    form.elements.file.addEventListener("change", () => { stale(); plan.hidden = true; });
    options.forEach((el) => el.addEventListener("change", stale));
    form.addEventListener("submit", async (ev) => {  // no data-api: the handler above leaves this form alone
      ev.preventDefault();
      if (!ready) return;
      button.disabled = true;
      showError(form, null);
      try {
        const a = await importFile(form, false, options);
        plan.hidden = true;
        stale();
        flash.className = "ccg-flash";
        flash.textContent = "";
        flash.hidden = false;
        done(a, flash);
      } catch (err) {
        showError(form, err);
        button.disabled = false;  // the preview still holds: the same import may be sent again
      }
    });
  }

  window.CCG = { api, csrf, values, submit, showError, row, importFile, importForm };
})();
