// Read aloud (Nghe) on the kiosk: the button in the header reads the screen's heading and
// instructions; while it is on, each new screen is read, each field's label when the field is
// touched, and each error when it appears. The audio is made on this machine (eSpeak NG, by
// GET data-speak-url?text=...) and played at the manager's volume (data-speech-volume).
// Served from this machine; runs under a CSP without inline scripts or eval.
(function () {
  "use strict";
  var body = document.body;
  var speakUrl = body.dataset.speakUrl;
  var form = document.querySelector(".read-aloud-form");
  if (!speakUrl || !form) { return; }
  var button = form.querySelector("button");
  var volume = Math.max(0, Math.min(1, parseFloat(body.dataset.speechVolume || "0.9")));
  var on = body.dataset.readAloud === "on";
  var queue = [];
  var playing = null;

  function text(el) { return (el.getAttribute("data-speak") || el.innerText || "").replace(/\s+/g, " ").trim(); }

  function next() {
    playing = null;
    var item = queue.shift();
    if (!item) { return; }
    var audio = item.audio;
    playing = audio;
    if (item.el) { item.el.classList.add("speaking"); }
    var done = function () {
      if (item.el) { item.el.classList.remove("speaking"); }
      if (playing === audio) { next(); }
    };
    audio.addEventListener("ended", done);
    audio.addEventListener("error", done);
    var p = audio.play();
    if (p && p.catch) { p.catch(done); }
  }

  // `now`: drop what was still to be said (a new field touched speaks at once).
  function say(items, now) {
    if (now) {
      queue = [];
      if (playing) { playing.pause(); playing = null; }
    }
    items.forEach(function (it) {
      if (!it.text) { return; }
      // Asked for at once, played in turn: the next part is ready when the last one ends.
      it.audio = new Audio(speakUrl + "?text=" + encodeURIComponent(it.text));
      it.audio.preload = "auto";
      it.audio.volume = volume;
      queue.push(it);
    });
    if (!playing) { next(); }
  }

  // The heading, the screen's instructions and what it must tell (a ticket number, a dossier
  // code, a due date: marked data-speak), then any error already shown.
  function readScreen() {
    var main = document.getElementById("main") || body;
    var parts = [];
    var seen = [];
    main.querySelectorAll("h1, .lead, .hint, .alert, [data-speak], .ticket-label, .ticket-number, " +
                          "dl.facts dt, .field-error")
      .forEach(function (el) {
        if (el.closest("[hidden]") || seen.some(function (s) { return s.contains(el); })) { return; }
        seen.push(el);
        // A fact is read with its value: "Mã hồ sơ: ...", "Hẹn trả kết quả: 12/03/2026".
        var dd = el.tagName === "DT" && el.nextElementSibling;
        parts.push({ text: dd ? text(el) + ": " + text(dd) : text(el), el: dd || el });
      });
    // A screen without a heading of its own (the ticket) starts with its title.
    if (!main.querySelector("h1")) { parts.unshift({ text: document.title.split(" · ")[0], el: null }); }
    say(parts, true);
  }

  function labelOf(field) {
    var label = field.labels && field.labels[0];
    var t = label ? text(label) : (field.getAttribute("aria-label") || field.getAttribute("placeholder") || "");
    var err = field.getAttribute("aria-describedby");
    var errEl = err && document.getElementById(err.split(" ")[0]);
    return errEl && errEl.textContent.trim() ? t + ". " + text(errEl) : t;
  }

  function setOn(value) {
    on = value;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    body.dataset.readAloud = on ? "on" : "";
    if (on) { readScreen(); } else { say([], true); }
  }

  // The toggle is a real form (it works without script); with script it stays on this screen.
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    setOn(!on);
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         redirect: "manual" }).catch(function () {});
  });

  document.addEventListener("focusin", function (ev) {
    var el = ev.target;
    if (!on || !el.matches || !el.matches("input, select, textarea") || el.type === "hidden") { return; }
    say([{ text: labelOf(el), el: el.labels && el.labels[0] }], true);
  });

  // Errors when they appear: alerts swapped in by htmx or written by a script.
  new MutationObserver(function (records) {
    if (!on) { return; }
    var found = [];
    records.forEach(function (r) {
      r.addedNodes.forEach(function (n) {
        if (n.nodeType !== 1) { return; }
        var errs = n.matches(".alert-error, [role=alert], .field-error, .error")
          ? [n] : Array.prototype.slice.call(n.querySelectorAll(".alert-error, [role=alert], .field-error, .error"));
        errs.forEach(function (e) { if (!e.hidden && text(e)) { found.push({ text: text(e), el: e }); } });
      });
      if (r.type === "characterData" || r.type === "childList") {
        var t = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        if (t && t.matches && t.matches("#toast, .upload-status") && text(t)) { found.push({ text: text(t), el: t }); }
      }
    });
    if (found.length) { say(found, false); }
  }).observe(body, { childList: true, subtree: true, characterData: true });

  if (on) { window.addEventListener("load", readScreen); }
  window.kioskSpeak = { say: function (t) { say([{ text: t, el: null }], true); } };
})();
