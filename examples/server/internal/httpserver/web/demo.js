// uketsuke demo page: long-polls /demo/messages and posts taps and check-ins.
// Plain JavaScript, no build step. Every text goes through textContent.
(function () {
  "use strict";
  const feed = document.getElementById("feed");
  const empty = document.getElementById("feed-empty");
  let next = Number(feed.dataset.next || 0);

  function actor() {
    const picked = document.querySelector('#staff-picker input[name="actor"]:checked');
    return picked ? picked.value : "";
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function render(m) {
    const li = el("li", "msg");
    li.dataset.seq = m.seq;
    const meta = el("div", "meta");
    meta.append(el("span", "who", "受付ボット"), " → ", el("span", "to", m.to), " ", el("time", "", m.time));
    const bubble = el("div", "bubble");
    if (m.image) {
      const img = el("img", "qr");
      img.src = m.image;
      img.alt = m.text;
      img.width = 160;
      img.height = 160;
      bubble.append(img);
    } else {
      bubble.append(el("p", "text", m.text));
    }
    if (m.actions && m.actions.length) {
      const actions = el("div", "actions");
      for (const a of m.actions) {
        const b = el("button", "", a.label);
        b.type = "button";
        b.addEventListener("click", () => tap(m.channelId || "", a.text || a.label, a.postback, b));
        actions.append(b);
      }
      bubble.append(actions);
    }
    li.append(meta, bubble);
    return li;
  }

  async function post(url, params) {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }

  async function tap(channel, label, postback, button) {
    button.disabled = true;
    try {
      await post("/demo/tap", { user: actor(), channel: channel, label: label, postback: postback });
    } catch (e) {
      alert(e.message);
    } finally {
      button.disabled = false;
    }
  }

  // Forms rendered by the server work without JavaScript; with it, taps
  // carry the picked staff member and nothing reloads.
  for (const form of document.querySelectorAll("form.tap")) {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      tap(f.get("channel"), f.get("label"), f.get("postback"), form.querySelector("button"));
    });
  }

  const checkin = document.getElementById("checkin");
  const status = document.getElementById("checkin-status");
  checkin.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.textContent = "送信中…";
    try {
      const r = await post("/demo/checkin", Object.fromEntries(new FormData(checkin)));
      status.textContent = "受付しました（" + r.visitId + "）";
      checkin.elements.name.value = "";
      checkin.elements.company.value = "";
    } catch (e) {
      status.textContent = e.message;
    }
  });

  async function poll() {
    for (;;) {
      try {
        const res = await fetch("/demo/messages?after=" + next + "&wait=25", { headers: { "Accept": "application/json" } });
        if (!res.ok) throw new Error(res.statusText);
        const data = await res.json();
        for (const m of data.messages) {
          feed.append(render(m));
        }
        if (data.messages.length) {
          empty.hidden = true;
          feed.lastElementChild.scrollIntoView({ behavior: "smooth", block: "end" });
        }
        next = data.next;
      } catch (e) {
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }
  poll();
})();
