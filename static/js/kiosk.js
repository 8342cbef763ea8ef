// Kiosk behaviour: return home when idle, errors as a toast.
// Served from this machine; runs under a CSP without inline scripts or eval.
(function () {
  "use strict";
  var body = document.body;

  // ---- idle reset: back to the home screen, with everything typed cleared
  var idleSeconds = parseInt(body.dataset.idleSeconds || "0", 10);
  var homeUrl = body.dataset.homeUrl || "/";
  var resetUrl = body.dataset.resetUrl || homeUrl;
  var timer = null;
  function goHome() {
    document.querySelectorAll("input[type=search], input[type=text]").forEach(function (el) { el.value = ""; });
    var here = window.location.pathname + window.location.search;
    var english = document.documentElement.lang !== "vi";
    // The reset URL also forgets the language, so the next citizen starts in Vietnamese.
    if (here !== homeUrl || english) { window.location.replace(resetUrl); }
    else { window.scrollTo(0, 0); armIdle(); }
  }
  function armIdle() {
    if (!idleSeconds) { return; }
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(goHome, idleSeconds * 1000);
  }
  ["pointerdown", "keydown", "input", "wheel", "touchstart"].forEach(function (ev) {
    document.addEventListener(ev, armIdle, { passive: true, capture: true });
  });
  armIdle();

  // (The on-screen keyboard is static/js/keyboard.js.)

  // ---- htmx: plain Vietnamese when the server or the link fails
  function toast(message) {
    var el = document.getElementById("toast");
    if (!el) { return; }
    el.textContent = message;
    el.hidden = false;
    setTimeout(function () { el.hidden = true; }, 5000);
  }
  document.addEventListener("htmx:responseError", function (ev) {
    // A refusal explained by the server (plain text) is shown as it is.
    var xhr = ev.detail && ev.detail.xhr;
    var type = xhr && xhr.getResponseHeader("Content-Type") || "";
    toast(type.indexOf("text/plain") === 0 && xhr.responseText ? xhr.responseText : body.dataset.offlineMessage);
  });

  // ---- a form marked data-once submits once: a double tap must not send it twice
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) { return; }
    // A button that opens its answer elsewhere (a PDF to print) does not send the form itself.
    if (ev.submitter && ev.submitter.hasAttribute("formtarget")) { return; }
    if (form.dataset.sent) { ev.preventDefault(); return; }
    form.dataset.sent = "1";
  }, true);
  // ---- a file picked through a styled label: its name shown beside it (no "Choose File")
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input.file-pick")) { return; }
    var shown = input.closest("form").querySelector(".file-name");
    if (shown) { shown.textContent = input.files.length ? input.files[0].name : shown.dataset.empty; }
  });
  document.addEventListener("htmx:sendError", function () { toast(body.dataset.offlineMessage); });
  document.addEventListener("htmx:configRequest", function (ev) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) { ev.detail.headers["X-CSRFToken"] = token.content; }
  });
})();
