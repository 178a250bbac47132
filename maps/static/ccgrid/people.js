/* The people pages (/maps/people, /maps/people/{id}). Their writes are workbench.js data-api forms; this adds only
   the question a form with data-confirm asks first (停用 takes a person off every assign list). It listens in the
   capture phase, so a "no" stops the submit before workbench.js sends anything. */
(function () {
  "use strict";

  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (!window.confirm(form.dataset.confirm)) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  }, true);

  // The search form: an empty field is left out of the address, so a shared link says only what was asked.
  const search = document.getElementById("ccg-people-search");
  if (search) {
    search.addEventListener("submit", () => {
      [...search.elements].forEach((el) => { if (el.name && el.value === "") el.disabled = true; });
    });
    // Back from the results (the page restored as it was left): the fields work again.
    window.addEventListener("pageshow", () => [...search.elements].forEach((el) => { el.disabled = false; }));
  }
})();
