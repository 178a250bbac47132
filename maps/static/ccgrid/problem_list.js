/* The problem ledger page (/maps/problems): a plain GET form, so every list is a URL to share. This only keeps
   the URL short (empty fields are not sent) and lets the owner be picked by name (GET /api/v1/people). */
(function () {
  "use strict";
  const form = document.getElementById("ccg-plist-form");
  if (!form) return;
  form.addEventListener("submit", () => {
    for (const el of form.elements) {
      if (el.name && el.value === "" && el.type !== "checkbox") el.disabled = true;
    }
    // A new filter starts at the first page (the form has no offset field).
  });
  // Re-enabled when the page is shown again from the back/forward cache.
  window.addEventListener("pageshow", () => { for (const el of form.elements) el.disabled = false; });

  const name = document.getElementById("ccg-owner-name");
  const options = document.getElementById("ccg-owner-options");
  const hidden = form.elements.owner_person_id;
  let timer = null;
  let found = {};
  name.addEventListener("input", () => {
    const text = name.value.trim();
    if (text in found) { hidden.value = found[text]; return; }
    hidden.value = "";
    clearTimeout(timer);
    if (!text) return;
    timer = setTimeout(async () => {
      try {
        const people = await window.CCG.api("GET", "/api/v1/people?limit=20&q=" + encodeURIComponent(text));
        found = {};
        options.replaceChildren();
        people.forEach((p) => {
          const label = p.name + (p.unit_name || p.title ? "（" + (p.unit_name || p.title) + "）" : "") + " #" + p.id;
          found[label] = p.id;
          const opt = document.createElement("option");
          opt.value = label;
          options.appendChild(opt);
        });
        if (name.value.trim() in found) hidden.value = found[name.value.trim()];
      } catch (e) { /* no match list: the filter stays as it was */ }
    }, 250);
  });
})();
