// uketsuke kiosk: staff search, the party-size stepper and the countdown of
// the completion screen. Plain JavaScript; the page works without it.
(function () {
  "use strict";

  // Completion screen: count down, then back to the start (the meta
  // refresh does the same without JavaScript).
  const done = document.querySelector(".kiosk-done");
  if (done) {
    let left = Number(done.dataset.seconds || 8);
    const out = document.getElementById("countdown");
    const timer = setInterval(() => {
      left -= 1;
      if (out) out.textContent = String(Math.max(left, 0));
      if (left <= 0) {
        clearInterval(timer);
        location.replace(done.dataset.back);
      }
    }, 1000);
    return;
  }

  const form = document.getElementById("kiosk-form");
  if (!form) return;

  // One tap, one check-in: a second tap while the first is on its way is
  // ignored.
  let sent = false;
  form.addEventListener("submit", (ev) => {
    if (sent) {
      ev.preventDefault();
      return;
    }
    sent = true;
    setTimeout(() => { sent = false; }, 8000);
    if (ev.submitter) ev.submitter.classList.add("sending");
  });

  for (const b of document.querySelectorAll("[data-step]")) {
    b.addEventListener("click", () => {
      const input = document.getElementById("visitor-count");
      const n = Math.min(999, Math.max(0, (Number(input.value) || (b.dataset.step > 0 ? 0 : 1)) + Number(b.dataset.step)));
      input.value = n === 0 ? "" : String(n);
    });
  }

  // Staff search: the select becomes a search box that filters the active
  // staff as the visitor types.
  const picker = document.getElementById("staff-picker");
  if (!picker) return;
  const select = document.getElementById("staff-select");
  const search = document.getElementById("staff-search");
  const results = document.getElementById("staff-results");
  const chosen = document.getElementById("staff-chosen");
  const staff = Array.from(select.options).filter((o) => o.value).map((o) => ({ id: o.value, name: o.text }));
  const norm = (s) => s.toLowerCase().replace(/[\s\u3000]/g, "");

  function show() {
    const q = norm(search.value);
    results.replaceChildren();
    if (!q) {
      results.hidden = true;
      return;
    }
    const hits = staff.filter((s) => norm(s.name).includes(q)).slice(0, 6);
    if (!hits.length) {
      const li = document.createElement("li");
      li.className = "none";
      li.textContent = picker.dataset.nomatch;
      results.append(li);
    }
    for (const s of hits) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = s.name;
      b.addEventListener("click", () => pick(s));
      li.append(b);
      results.append(li);
    }
    results.hidden = false;
  }

  function pick(s) {
    select.value = s ? s.id : "";
    search.value = "";
    results.hidden = true;
    chosen.replaceChildren();
    if (s) {
      chosen.append("✓ " + s.name + " ");
      const x = document.createElement("button");
      x.type = "button";
      x.className = "clear";
      x.textContent = "×";
      x.setAttribute("aria-label", picker.dataset.none);
      x.addEventListener("click", () => pick(null));
      chosen.append(x);
    }
    chosen.hidden = !s;
    search.hidden = !!s;
  }

  select.hidden = true;
  search.hidden = false;
  search.addEventListener("input", show);
  const pre = staff.find((s) => s.id === select.value);
  if (pre) pick(pre);
})();
