// Counter screen: keyboard shortcuts, and a live refresh when the queue changes.
(function () {
  "use strict";
  function panel() { return document.getElementById("panel"); }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.altKey || ev.metaKey) { return; }
    var tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") { return; }
    var key = ev.key.toLowerCase();
    var el = document.querySelector('#panel [data-key="' + key + '"]');
    if (!el) { return; }
    ev.preventDefault();
    if (el.tagName.toLowerCase() === "select") { el.focus(); return; }
    if (!el.disabled) { el.click(); }
  });

  // Others act on the same queue (kiosks issue, other counters call): refresh the panel,
  // at most every half second, never while the officer's own request is in flight.
  var p = panel();
  if (!p || !window.EventSource) { return; }
  var pending = null;
  function refresh() {
    pending = null;
    var el = panel();
    if (!el || el.querySelector("button[disabled].htmx-request")) { return; }
    if (document.activeElement && el.contains(document.activeElement) &&
        /input|select/i.test(document.activeElement.tagName)) { return; }
    if (window.htmx) {
      window.htmx.ajax("GET", el.dataset.panelUrl, { target: "#panel", swap: "outerHTML" });
    }
  }
  function later() { if (!pending) { pending = setTimeout(refresh, 500); } }
  function follow() {
    var source = new EventSource(p.dataset.eventsUrl);
    source.onmessage = later;
    source.addEventListener("snapshot", later);
    // Refused (the worker's streams are full) or cut off for good: try again a little later;
    // the panel's own buttons work meanwhile.
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(function () { later(); follow(); }, 5000 + Math.random() * 10000);
      }
    };
  }
  follow();
})();
