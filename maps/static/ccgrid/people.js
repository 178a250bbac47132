/* The people pages (/maps/people, /maps/people/{id}). Their writes are workbench.js data-api forms (停用 asks
   first through data-confirm); this keeps the search form's address short. */
(function () {
  "use strict";

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
