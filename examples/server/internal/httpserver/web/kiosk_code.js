// uketsuke kiosk, reception-code entry: the large keypad, and the camera
// that reads a QR code. Frames go to the server, which decodes them
// (/kiosk/{org}/scan); the code it reads is posted like a typed one.
// Plain JavaScript, no inline script; without it the code field and the
// tablet's own keyboard work as a plain form.
(function () {
  "use strict";
  const form = document.getElementById("code-form");
  if (!form) return;
  const input = document.getElementById("code");
  const status = document.getElementById("code-status");
  const errorBox = document.getElementById("code-error");
  const maxDigits = 6;
  const fill = (s, n) => String(s || "").replace("{n}", String(n));
  const digits = (s) => s.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\D/g, "");

  function announce(msg) {
    // Cleared first, so that the same message twice is announced twice.
    status.textContent = "";
    window.setTimeout(() => { status.textContent = msg; }, 50);
  }

  function showError(msg) {
    errorBox.textContent = msg;
    errorBox.hidden = false;
    input.setAttribute("aria-invalid", "true");
  }

  // ---- the keypad ----
  const keypad = document.getElementById("keypad");
  keypad.hidden = false;
  // The keypad is the tablet's keyboard: no on-screen keyboard pops up
  // over it. A hardware keyboard still types into the field.
  input.setAttribute("inputmode", "none");
  keypad.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-key]");
    if (!b) return;
    const k = b.dataset.key;
    let v = digits(input.value);
    if (k === "del") v = v.slice(0, -1);
    else if (k === "clear") v = "";
    else if (v.length < maxDigits) v += k;
    input.value = v;
    input.removeAttribute("aria-invalid");
    announce(v.length ? fill(form.dataset.digits, v.length) : form.dataset.cleared);
  });
  input.addEventListener("input", () => {
    const v = digits(input.value).slice(0, maxDigits);
    if (v !== input.value) input.value = v;
  });

  let sent = false;
  form.addEventListener("submit", (ev) => {
    input.value = digits(input.value);
    if (input.value.length !== maxDigits) {
      ev.preventDefault();
      showError(form.dataset.short);
      input.focus();
      return;
    }
    if (sent) {
      ev.preventDefault();
      return;
    }
    sent = true;
    stopCamera();
  });
  if (!errorBox.hidden) input.focus();

  // ---- the camera ----
  const camera = document.getElementById("camera");
  const startButton = document.getElementById("camera-start");
  const video = document.getElementById("camera-video");
  const cameraStatus = document.getElementById("camera-status");
  let stream = null;
  let timer = null;
  let busy = false;
  const canvas = document.createElement("canvas");

  function stopCamera() {
    clearInterval(timer);
    timer = null;
    if (stream) for (const t of stream.getTracks()) t.stop();
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    startButton.textContent = camera.dataset.start;
  }

  // noCamera falls back to the keypad: no camera, no permission, or a
  // page not served over https.
  function noCamera() {
    stopCamera();
    startButton.hidden = true;
    cameraStatus.textContent = camera.dataset.none;
    input.focus();
  }

  async function sendFrame() {
    if (busy || !stream || !video.videoWidth) return;
    busy = true;
    try {
      const scale = Math.min(1, 960 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      if (!blob || !stream) return;
      const res = await fetch(camera.dataset.scan + "?lang=" + encodeURIComponent(camera.dataset.lang), {
        method: "POST", body: blob, credentials: "same-origin",
        headers: { "Content-Type": blob.type, "X-Uketsuke-CSRF": camera.dataset.csrf, "Accept": "application/json" },
      });
      if (!res.ok) return;
      const answer = await res.json();
      if (answer.code) {
        stopCamera();
        input.value = answer.code;
        cameraStatus.textContent = camera.dataset.read;
        form.requestSubmit();
      } else if (answer.error) {
        cameraStatus.textContent = answer.error;
      }
    } catch (e) {
      /* a lost frame: the next one tries again */
    } finally {
      busy = false;
    }
  }

  async function startCamera() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } } });
    } catch (e) {
      noCamera();
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    try { await video.play(); } catch (e) { /* muted autoplay: plays anyway */ }
    startButton.textContent = camera.dataset.stop;
    cameraStatus.textContent = camera.dataset.msgCameraOn;
    timer = setInterval(sendFrame, 400);
  }

  // The camera button shows only where a camera may be: the page is
  // served over https (or from this machine) and the tablet has one.
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    startButton.addEventListener("click", () => (stream ? stopCamera() : startCamera()));
    navigator.mediaDevices.enumerateDevices()
      .then((ds) => { camera.hidden = !ds.some((d) => d.kind === "videoinput"); })
      .catch(() => { camera.hidden = false; });
  }
})();
