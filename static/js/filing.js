// Filing a dossier: the CCCD scanner's Enter, and uploads with a progress bar.
// Served from this machine; runs under a CSP without inline scripts or eval.
(function () {
  "use strict";
  function csrf() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  // The QR scanner types the card's code and presses Enter: send it, never the form.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" || !ev.target.matches || !ev.target.matches(".scan-input")) { return; }
    ev.preventDefault();
    if (window.htmx && ev.target.value) { window.htmx.trigger(ev.target, "scan"); }
  });
  document.addEventListener("htmx:afterSwap", function () {
    var scan = document.getElementById("scan");
    if (scan) { scan.value = ""; }
  });

  // A chosen or photographed file goes up at once, with its progress shown; the form then
  // carries only its id.
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input[type=file][data-upload-url]") || !input.files.length) { return; }
    var item = input.closest(".doc");
    var file = input.files[0];
    var status = item.querySelector(".upload-status");
    var bar = item.querySelector(".upload-progress");
    var hidden = item.querySelector(".doc-id");
    var thumb = item.querySelector(".thumb");
    if (file.size > parseInt(input.dataset.maxBytes || "0", 10)) {
      status.textContent = input.dataset.tooBig;
      input.value = "";
      return;
    }
    var data = new FormData();
    data.append("file", file);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", input.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", csrf());
    bar.hidden = false;
    bar.value = 0;
    status.textContent = "";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round(e.loaded * 100 / e.total); }
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      if (xhr.status === 201 && body) {
        hidden.value = body.id;
        thumb.src = body.thumb;
        thumb.hidden = false;
        bar.value = 100;
        status.textContent = document.documentElement.lang === "vi" ? "Đã tải lên." : "Uploaded.";
        var reuse = item.querySelector(".reuse");
        if (reuse) { reuse.remove(); }
        // The paper is there now: its earlier "missing" message no longer holds.
        item.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
        item.classList.remove("has-error");
      } else {
        bar.hidden = true;
        status.textContent = body && body.error ? body.error.message : document.body.dataset.offlineMessage;
      }
      input.value = "";
    });
    xhr.addEventListener("error", function () {
      bar.hidden = true;
      status.textContent = document.body.dataset.offlineMessage;
      input.value = "";
    });
    xhr.send(data);
  });
})();
