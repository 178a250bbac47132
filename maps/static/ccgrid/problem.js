/* The page of one problem (/maps/problems/{id}): its small map, the photo viewer, and the action forms. Every
   write goes through the JSON API with CCG.api (the session's CSRF token): a form's photo is uploaded first
   (POST /api/v1/problems/{id}/photos), then the action is posted with that photo_id
   (POST /api/v1/problems/{id}/actions). The API's refusal is shown in the form; after an action the page reloads
   to show the new state. */
(function () {
  "use strict";

  const STYLE = {
    cell: { color: "#5c6bc0", weight: 2, fillColor: "#9fa8da", fillOpacity: 0.25, dashArray: "4 3" },
    street: { color: "#ef6c00", weight: 5, opacity: 0.85 },
    point: { color: "#2e7d32", weight: 2, fillColor: "#66bb6a", fillOpacity: 0.35, radius: 7 },
    problem: { color: "#fff", weight: 2, fillColor: "#b71c1c", fillOpacity: 1, radius: 8 },
  };

  function drawMap() {
    const el = document.getElementById("ccg-problem-map");
    const src = document.getElementById("ccg-problem-features");
    if (!el || !src || !window.L) return;
    const data = JSON.parse(src.textContent);
    // No basemap (nothing may be fetched from another host): the shapes the problem was routed to are the map.
    const map = L.map(el, { attributionControl: false, zoomSnap: 0.5 });
    const layer = L.geoJSON(data, {
      style: (f) => STYLE[f.properties.kind] || {},
      pointToLayer: (f, latlng) => L.circleMarker(latlng, STYLE[f.properties.kind] || STYLE.problem),
      onEachFeature: (f, l) => l.bindTooltip(f.properties.label),
    }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.25), { maxZoom: 18 });
    else map.setView([0, 0], 2);
    document.body.dataset.mapDrawn = String(data.features.length);
  }

  function lightbox() {
    const box = document.getElementById("ccg-lightbox");
    if (!box) return;
    const img = box.querySelector("img");
    const close = () => { box.hidden = true; img.removeAttribute("src"); };
    document.addEventListener("click", (ev) => {
      const link = ev.target.closest && ev.target.closest("a.ccg-thumb");
      if (!link || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      ev.preventDefault();
      img.src = link.href;
      box.hidden = false;
    });
    box.addEventListener("click", (ev) => { if (ev.target !== img) close(); });
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") close(); });
  }

  // 派遣: the place's owners are in the select; a name search adds people of the user's region to it.
  function personSearch(form) {
    const q = form.querySelector(".ccg-person-q");
    const group = form.querySelector("optgroup.ccg-found");
    if (!q || !group) return;
    let timer = null;
    q.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const term = q.value.trim();
        group.replaceChildren();
        if (!term) return;
        try {
          const people = await CCG.api("GET", "/api/v1/people?active=true&limit=20&q=" + encodeURIComponent(term));
          for (const person of people) {
            const opt = document.createElement("option");
            opt.value = "assignee_person_id:" + person.id;
            opt.textContent = person.name + (person.unit_name ? "（" + person.unit_name + "）" : "");
            group.appendChild(opt);
          }
          if (people.length) form.elements.assignee.value = group.firstElementChild.value;
          CCG.showError(form, people.length ? null : new Error("没有找到姓名含“" + term + "”的人员"));
        } catch (err) {
          CCG.showError(form, err);
        }
      }, 250);
    });
  }

  async function act(form) {
    const pid = form.dataset.problem;
    const body = { action: form.dataset.action };
    const note = form.elements.note && form.elements.note.value.trim();
    if (note) body.note = note;
    if (form.elements.due_at && form.elements.due_at.value) body.due_at = form.elements.due_at.value;
    if (form.elements.assignee && form.elements.assignee.value) {
      const [field, id] = form.elements.assignee.value.split(":");
      body[field] = Number(id);
    }
    const file = form.elements.photo && form.elements.photo.files[0];
    if (file) {
      const data = new FormData();
      data.append("file", file);
      const photo = await CCG.api("POST", "/api/v1/problems/" + pid + "/photos", data);
      body.photo_id = photo.id;
    }
    return CCG.api("POST", "/api/v1/problems/" + pid + "/actions", body);
  }

  function actionForms() {
    for (const form of document.querySelectorAll("form.ccg-act")) {
      personSearch(form);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const buttons = document.querySelectorAll("form.ccg-act button[type=submit]");
        buttons.forEach((b) => { b.disabled = true; });
        CCG.showError(form, null);
        try {
          await act(form);
          window.location.reload();
        } catch (err) {
          CCG.showError(form, err);
          buttons.forEach((b) => { b.disabled = false; });
        }
      });
    }
  }

  drawMap();
  lightbox();
  actionForms();
  document.body.dataset.ccgridReady = "1";
})();
