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
    try { sessionStorage.clear(); } catch (err) { /* nothing kept */ }
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

  // ---- what was typed survives a reload the citizen asked for: large text, reading aloud and
  // the language reload the page, and the fields of the screen (not yet posted) come back as
  // they were. Kept in this tab for the one reload only, and never past the idle reset.
  var TYPED = "kiosk-typed";
  function here() { return window.location.pathname + window.location.search; }
  function typedFields() {
    return Array.prototype.filter.call(
      document.querySelectorAll("main input[name], main textarea[name], main select[name]"),
      function (el) { return !/^(hidden|file|password|submit|button)$/.test(el.type) && el.name !== "csrf_token"; });
  }
  function keepTyped() {
    var values = typedFields().map(function (el) {
      return (el.type === "checkbox" || el.type === "radio") ? el.checked : el.value;
    });
    try {
      sessionStorage.setItem(TYPED, JSON.stringify({ at: here(), when: Date.now(), values: values }));
    } catch (err) { /* storage full or off: the reload loses what was typed, as before */ }
  }
  function restoreTyped() {
    var kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(TYPED) || "null"); sessionStorage.removeItem(TYPED); }
    catch (err) { kept = null; }
    if (!kept || kept.at !== here() || Date.now() - kept.when > 60000) { return; }
    var fields = typedFields();
    if (fields.length !== kept.values.length) { return; }  // another screen than the one left
    fields.forEach(function (el, i) {
      var v = kept.values[i];
      if (el.type === "checkbox" || el.type === "radio") { el.checked = !!v; }
      else if (el.tagName !== "SELECT" || Array.prototype.some.call(el.options, function (o) { return o.value === v; })) {
        el.value = v;
      }
    });
  }
  document.addEventListener("submit", function (ev) {
    if (ev.target.matches && ev.target.matches(".easy-read-form")) { keepTyped(); }
  }, true);
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest(".lang-btn");
    if (link) { keepTyped(); }
  }, true);
  restoreTyped();

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
  // ---- "Chép": a transfer's fact to the clipboard (a page over plain http has no
  // navigator.clipboard: the older copy command then)
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("button[data-copy]");
    if (!btn) { return; }
    var box = btn.closest("[data-copied]");
    var said = box && box.parentNode.querySelector(".copy-done");
    function tell(ok) {
      if (said && box) { said.textContent = ok ? box.dataset.copied + ": " + btn.dataset.copy : box.dataset.copyFailed; }
    }
    function fallback() {
      var area = document.createElement("textarea");
      area.value = btn.dataset.copy;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      area.remove();
      tell(ok);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(btn.dataset.copy).then(function () { tell(true); }, fallback);
    } else { fallback(); }
  });
  document.addEventListener("htmx:sendError", function () { toast(body.dataset.offlineMessage); });
  document.addEventListener("htmx:configRequest", function (ev) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) { ev.detail.headers["X-CSRFToken"] = token.content; }
  });
})();
