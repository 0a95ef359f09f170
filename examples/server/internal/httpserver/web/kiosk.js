// uketsuke kiosk: check-ins that survive a network drop, staff search, the
// party-size stepper and the return to the start screen. Plain JavaScript,
// no inline script (the pages' Content-Security-Policy allows none); the
// page works without it, as plain form posts.
(function () {
  "use strict";

  const fill = (s, n) => String(s || "").replace("{n}", String(n));

  // ---- the check-ins kept while the server cannot be reached ----

  // Each is {key, body, at}: the form as sent, its idempotency key (the
  // server stores a key once, so a resend after a lost answer is not a
  // second visit) and when the visitor tapped (Date.now(), this tablet's
  // clock: only the difference is sent, as queuedMs).
  const form = document.getElementById("kiosk-form");
  const doneScreen = document.getElementById("kiosk-done");
  const queueKey = "uketsuke.kiosk.queue:" + location.pathname.replace(/\/done$/, "");
  const timeoutMs = 10000;

  function loadQueue() {
    try {
      const q = JSON.parse(localStorage.getItem(queueKey) || "[]");
      return Array.isArray(q) ? q : [];
    } catch (e) {
      return [];
    }
  }
  function saveQueue(q) {
    localStorage.setItem(queueKey, JSON.stringify(q));
    showPending();
  }
  function showPending() {
    const out = document.getElementById("kiosk-pending");
    if (!out) return;
    const n = loadQueue().length;
    out.textContent = n ? fill(out.dataset.text, n) : "";
    out.hidden = n === 0;
  }

  // post sends one check-in. It resolves to the server's JSON answer with
  // the HTTP status, and rejects when the server cannot be reached: no
  // network, no answer within timeoutMs, or a 5xx.
  async function post(action, body) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    try {
      const res = await fetch(action, {
        method: "POST", body, signal: ctl.signal, credentials: "same-origin",
        headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      });
      if (res.status >= 500) throw new Error("server error " + res.status);
      let data = {};
      try { data = await res.json(); } catch (e) { data = {}; }
      data.status = res.status;
      return data;
    } finally {
      clearTimeout(timer);
    }
  }

  // flush sends the kept check-ins, oldest first, each marked with how
  // long it waited; it stops at the first that still cannot be sent.
  let flushing = false;
  async function flush(action) {
    if (flushing) return;
    flushing = true;
    try {
      for (let q = loadQueue(); q.length; q = loadQueue()) {
        const item = q[0];
        const waited = Math.max(1, Date.now() - item.at);
        let answer;
        try {
          answer = await post(action, item.body + "&queuedMs=" + waited);
        } catch (e) {
          return; // still unreachable: try again later
        }
        if (answer.status === 408 || answer.status === 429) return;
        // Delivered, or refused for good (the server logs why): either
        // way it leaves the queue; the key makes a repeat harmless.
        saveQueue(loadQueue().filter((x) => x.key !== item.key));
      }
    } finally {
      flushing = false;
    }
  }

  function newKey() {
    const r = new Uint8Array(8);
    crypto.getRandomValues(r);
    return "kiosk-" + Date.now().toString(36) + "-" + Array.from(r, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ---- returning to the start screen ----

  // startReturn shows the countdown of a completion screen (or the
  // offline one) and calls back when it ends. With 0 seconds, or after
  // "keep this screen", it stays until the visitor taps the way back.
  function startReturn(screen, back) {
    const out = screen.querySelector(".countdown");
    const stay = screen.querySelector("#stay");
    let left = Number(screen.dataset.seconds || 0);
    let timer = null;
    const stop = () => {
      clearInterval(timer);
      out.textContent = out.dataset.stayed;
      stay.hidden = true;
    };
    out.hidden = false;
    if (left <= 0) {
      stop();
      return stop;
    }
    out.textContent = fill(out.dataset.returning, left);
    stay.hidden = false;
    stay.addEventListener("click", () => { stop(); screen.querySelector("#back-link").focus(); });
    timer = setInterval(() => {
      left -= 1;
      out.textContent = fill(out.dataset.returning, Math.max(left, 0));
      if (left <= 0) {
        clearInterval(timer);
        back();
      }
    }, 1000);
    return stop;
  }

  if (doneScreen) {
    const heading = document.getElementById("done-message");
    if (heading) heading.focus();
    startReturn(doneScreen, () => location.replace(doneScreen.dataset.back));
    flush(location.pathname.replace(/\/done$/, ""));
    return;
  }
  if (!form) return;

  // ---- the kiosk form ----

  const start = document.getElementById("kiosk-start");
  const offline = document.getElementById("kiosk-offline");
  const errorBox = document.getElementById("kiosk-error");
  const defaultStart = form.dataset.back;
  let sent = false;

  function showError(msg) {
    errorBox.textContent = msg;
    errorBox.hidden = false;
    errorBox.scrollIntoView({ block: "nearest" });
  }

  // resetStart brings the start screen back after a check-in kept
  // offline: in the default language when the server answers again,
  // else here, emptied.
  async function resetStart() {
    try {
      const res = await fetch(defaultStart, { method: "HEAD", credentials: "same-origin" });
      if (res.ok) {
        location.replace(defaultStart);
        return;
      }
    } catch (e) { /* still offline: reset in place */ }
    form.reset();
    if (window.ukPickStaff) window.ukPickStaff(null, false);
    document.getElementById("kiosk-details").open = false;
    for (const b of form.querySelectorAll("button.big")) b.classList.remove("sending");
    offline.hidden = true;
    start.hidden = false;
    sent = false;
    document.getElementById("kiosk-welcome").focus();
  }

  function showOffline() {
    start.hidden = true;
    offline.hidden = false;
    document.getElementById("offline-message").focus();
    const stop = startReturn(offline, resetStart);
    offline.querySelector("#back-link").addEventListener("click", (ev) => {
      ev.preventDefault();
      stop();
      resetStart();
    }, { once: true });
  }

  // One tap, one check-in: a second tap while the first is on its way is
  // ignored. The answer is read here, so a network drop shows the
  // fallback at once instead of a browser error or an endless spinner.
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (sent) return;
    sent = true;
    const button = ev.submitter;
    if (button) button.classList.add("sending");
    const params = new URLSearchParams(new FormData(form, button));
    const key = newKey();
    params.set("idempotencyKey", key);
    const body = params.toString();
    const at = Date.now();
    try {
      const answer = await post(form.action, body);
      if (answer.done) {
        location.assign(answer.done);
        return;
      }
      showError(answer.error || errorBox.dataset.text || "");
    } catch (e) {
      saveQueue(loadQueue().concat([{ key, body, at }]));
      showOffline();
      return;
    }
    if (button) button.classList.remove("sending");
    sent = false;
  });

  for (const b of document.querySelectorAll("[data-step]")) {
    b.addEventListener("click", () => {
      const input = document.getElementById("visitor-count");
      const n = Math.min(999, Math.max(0, (Number(input.value) || (b.dataset.step > 0 ? 0 : 1)) + Number(b.dataset.step)));
      input.value = n === 0 ? "" : String(n);
    });
  }

  // Kept check-ins go out when the connection returns, on load, and every
  // few seconds while any wait (the online event alone misses a server
  // that was down while the network was up).
  showPending();
  const retry = () => { if (loadQueue().length) flush(form.action); };
  window.addEventListener("online", retry);
  setInterval(retry, 5000);
  retry();

  staffSearch();
})();

// staffSearch turns the staff select into a search box that filters the
// active staff as the visitor types; results and "no match" are
// announced, and focus never falls to the page.
function staffSearch() {
  "use strict";
  const picker = document.getElementById("staff-picker");
  if (!picker) return;
  const select = document.getElementById("staff-select");
  const search = document.getElementById("staff-search");
  const hint = document.getElementById("staff-search-hint");
  const results = document.getElementById("staff-results");
  const count = document.getElementById("staff-count");
  const chosen = document.getElementById("staff-chosen");
  const staff = Array.from(select.options).filter((o) => o.value).map((o) => ({ id: o.value, name: o.text }));
  const norm = (s) => s.toLowerCase().replace(/[\s\u3000]/g, "");

  function show() {
    const q = norm(search.value);
    results.replaceChildren();
    if (!q) {
      results.hidden = true;
      count.textContent = "";
      return;
    }
    const hits = staff.filter((s) => norm(s.name).includes(q)).slice(0, 6);
    count.textContent = hits.length ? picker.dataset.results.replace("{n}", String(hits.length)) : picker.dataset.nomatch;
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
      b.addEventListener("click", () => pick(s, true));
      li.append(b);
      results.append(li);
    }
    results.hidden = false;
  }

  function pick(s, moveFocus) {
    select.value = s ? s.id : "";
    search.value = "";
    results.hidden = true;
    results.replaceChildren();
    count.textContent = "";
    chosen.replaceChildren();
    if (s) {
      chosen.append(picker.dataset.chosen + " " + s.name + " ");
      const x = document.createElement("button");
      x.type = "button";
      x.className = "clear";
      x.textContent = "×";
      x.setAttribute("aria-label", picker.dataset.clear);
      x.addEventListener("click", () => pick(null, true));
      chosen.append(x);
    }
    chosen.hidden = !s;
    search.hidden = !!s;
    hint.hidden = !!s;
    if (moveFocus) (s ? chosen : search).focus();
  }
  window.ukPickStaff = pick;

  // Arrow keys move between the search box and its results.
  search.addEventListener("keydown", (ev) => {
    const first = results.querySelector("button");
    if (ev.key === "ArrowDown" && first) {
      ev.preventDefault();
      first.focus();
    }
  });
  results.addEventListener("keydown", (ev) => {
    const buttons = Array.from(results.querySelectorAll("button"));
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    if (ev.key === "ArrowDown" && i < buttons.length - 1) buttons[i + 1].focus();
    else if (ev.key === "ArrowUp") (i > 0 ? buttons[i - 1] : search).focus();
    else return;
    ev.preventDefault();
  });

  select.hidden = true;
  search.hidden = false;
  hint.hidden = false;
  search.addEventListener("input", show);
  const pre = staff.find((s) => s.id === select.value);
  if (pre) pick(pre, false);
}
