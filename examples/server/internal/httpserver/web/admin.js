// uketsuke admin pages: copy buttons and confirmations. Plain JavaScript;
// the forms work without it.
(function () {
  "use strict";
  for (const b of document.querySelectorAll("[data-copy]")) {
    b.addEventListener("click", async () => {
      const input = document.getElementById(b.dataset.copy);
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
        b.textContent = "コピーしました";
      } catch (e) {
        document.execCommand("copy");
      }
    });
  }
  for (const f of document.querySelectorAll("form[data-confirm]")) {
    f.addEventListener("submit", (ev) => {
      if (!confirm(f.dataset.confirm)) ev.preventDefault();
    });
  }
  // Choosing a .key file shows its name in the key box.
  const file = document.getElementById("privateKeyFile");
  const key = document.getElementById("privateKey");
  if (file && key) {
    file.addEventListener("change", () => {
      if (file.files.length) key.placeholder = file.files[0].name + " を送信します";
    });
  }
})();
