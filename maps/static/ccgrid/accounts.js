/* The accounts page (/maps/accounts, /maps/accounts/{login}): every change through the JSON API with CCG.api
   (workbench.js sends the CSRF token); the API decides who may do what and its message is shown as it comes. */
(function () {
  "use strict";

  // --- a person to link: people of the chosen region without an account, from the API ---------------------
  function personPicker(form) {
    const select = form.querySelector(".ccg-person-select");
    if (!select) return;
    const search = form.querySelector(".ccg-person-search");
    const region = form.querySelector(".ccg-region-select");
    const current = select.dataset.current || "";
    let timer = null;
    let asked = 0;

    async function load() {
      const params = new URLSearchParams({ limit: "50" });
      if (region && region.value) params.set("region", region.value);
      if (search && search.value.trim()) params.set("q", search.value.trim());
      const mine = ++asked;
      let people;
      try { people = await CCG.api("GET", "/api/v1/account-candidates?" + params); }
      catch (err) { CCG.showError(form, err); return; }
      if (mine !== asked) return;  // a later search answered first
      const chosen = select.value;
      for (const opt of [...select.options]) {
        if (opt.value !== "" && opt.value !== current) opt.remove();
      }
      for (const p of people) {
        const opt = document.createElement("option");
        opt.value = String(p.id);
        opt.textContent = [p.name, p.title, p.unit_name].filter(Boolean).join(" · ") + "（" + (p.region_code || "") + "）";
        select.appendChild(opt);
      }
      if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
      select.dataset.loaded = String(people.length);
    }

    if (region) region.addEventListener("change", load);
    if (search) search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 250); });
    load();
  }

  // --- a password to hand over: random, without look-alike characters ----------------------------------------
  const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
  function generated(length) {
    const bytes = new Uint32Array(length);
    crypto.getRandomValues(bytes);
    return [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join("");
  }

  document.addEventListener("click", (ev) => {
    const button = ev.target.closest(".ccg-generate");
    if (!button) return;
    const input = button.form.querySelector(".ccg-password");
    input.value = generated(14);
    input.focus();
    input.select();
  });

  // --- a new account: open its page ----------------------------------------------------------------------------
  const create = document.getElementById("create-account");
  if (create) {
    create.addEventListener("ccg:done", (ev) => {
      window.location.assign("/maps/accounts/" + encodeURIComponent(ev.detail.login) + "?created=1");
    });
  }
  const flash = document.getElementById("ccg-flash");
  if (flash && new URLSearchParams(window.location.search).has("created")) flash.hidden = false;

  // --- changing an account: only what the form holds; an empty region or person is sent as null -------------
  const edit = document.getElementById("edit-account");
  if (edit) {
    edit.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { display_name: edit.elements.display_name.value };
      for (const name of ["role", "region_code"]) {
        const el = edit.elements[name];
        if (!el.disabled) body[name] = el.value || null;
      }
      const person = edit.elements.person_id.value;
      body.person_id = person ? Number(person) : null;
      const button = edit.querySelector("[type=submit]");
      button.disabled = true;
      CCG.showError(edit, null);
      try {
        await CCG.api("PATCH", "/api/v1/users/" + encodeURIComponent(edit.dataset.login), body);
        window.location.reload();
      } catch (err) {
        CCG.showError(edit, err);
      } finally {
        button.disabled = false;
      }
    });
  }

  document.querySelectorAll(".ccg-account-form").forEach(personPicker);

  // --- machine tokens: the secret once, with a copy button; revoking in place -----------------------------------
  const STATUS = { active: "有效", expired: "已过期", revoked: "已吊销" };
  const issue = document.getElementById("issue-token");

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function revokeButton(id) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "ccg-btn secondary ccg-revoke";
    b.dataset.revoke = String(id);
    b.textContent = "吊销";
    return b;
  }

  if (issue) {
    issue.addEventListener("ccg:done", (ev) => {
      const t = ev.detail;
      document.getElementById("token-secret-value").textContent = t.token;
      document.getElementById("token-secret").hidden = false;
      document.getElementById("token-copied").hidden = true;
      const row = document.querySelector("#tokens-table tbody").insertRow(0);
      row.dataset.token = String(t.id);
      row.className = "ccg-new";
      const pick = (name) => issue.elements[name].selectedOptions[0].textContent.trim();
      cell(row, String(t.id), "num");
      cell(row, t.label);
      cell(row, pick("role"));
      cell(row, t.region_code ? pick("region_code") : "全市");
      cell(row, t.issued_by || "");
      cell(row, "刚刚");
      cell(row, t.expires_at ? t.expires_at.slice(0, 10) : "永久");
      cell(row, STATUS[t.status], "ccg-token-status");
      cell(row, "").appendChild(revokeButton(t.id));
      issue.elements.label.value = "";
    });
  }

  const copy = document.getElementById("token-copy");
  if (copy) {
    copy.addEventListener("click", async () => {
      const code = document.getElementById("token-secret-value");
      try {
        await navigator.clipboard.writeText(code.textContent);
      } catch (e) {  // no clipboard API (plain http on another host): select it and copy the old way
        const range = document.createRange();
        range.selectNodeContents(code);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        document.execCommand("copy");
      }
      document.getElementById("token-copied").hidden = false;
    });
  }

  document.addEventListener("click", async (ev) => {
    const button = ev.target.closest(".ccg-revoke");
    if (!button) return;
    const id = button.dataset.revoke;
    if (!window.confirm("确定吊销令牌 " + id + "？使用它的客户端将立即无法访问。")) return;
    button.disabled = true;
    try {
      const t = await CCG.api("POST", "/api/v1/tokens/" + encodeURIComponent(id) + "/revoke");
      const row = button.closest("tr");
      row.querySelector(".ccg-token-status").textContent = STATUS[t.status];
      button.remove();
    } catch (err) {
      button.disabled = false;
      window.alert("吊销失败：" + err.message);
    }
  });
})();
