// The hall display: follows the queue's events, shows every call, and announces new ones
// one after another (a chime, then the Vietnamese call), each highlighted for a minimum time.
(function () {
  "use strict";
  var body = document.body;
  var minHighlight = parseInt(body.dataset.minHighlight || "6", 10) * 1000;
  var historySize = parseInt(body.dataset.history || "6", 10);
  var audioUrl = body.dataset.audioUrl;
  var queue = [];
  var busy = false;
  var soundBlocked = false;

  function $(id) { return document.getElementById(id); }

  // Every word shown comes from the page, in its language (Flask-Babel), not from here.
  var lang = document.documentElement.lang || "vi";

  function tick() {
    var d = new Date();
    var tz = body.dataset.tz || undefined;
    $("clock").textContent = d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", timeZone: tz }) +
      " · " + d.toLocaleDateString(lang, { timeZone: tz });
  }
  tick(); setInterval(tick, 10000);

  function setCounter(ev) {
    var li = document.querySelector('#counters li[data-counter-id="' + ev.counter_id + '"]');
    if (!li) { return; }
    if (ev.kind === "paused") { li.classList.add("paused"); li.querySelector(".c-note").textContent = body.dataset.pausedText; return; }
    if (ev.kind === "resumed" || ev.kind === "staffed") { li.classList.remove("paused"); li.querySelector(".c-note").textContent = ""; return; }
    if (!ev.number) { return; }
    li.querySelector(".c-number").textContent = ev.number;
    li.dataset.state = ev.kind;
  }

  function addHistory(ev) {
    var list = $("history");
    var old = list.querySelector('li[data-number="' + ev.number + '"][data-counter-id="' + ev.counter_id + '"]');
    if (old) { old.remove(); }
    var li = document.createElement("li");
    li.dataset.number = ev.number;
    li.dataset.counterId = ev.counter_id;
    var n = document.createElement("span"); n.className = "h-number"; n.textContent = ev.number;
    var c = document.createElement("span"); c.className = "h-counter"; c.textContent = ev.counter_name;
    li.appendChild(n); li.appendChild(c);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > historySize) { list.removeChild(list.lastChild); }
    return li;
  }

  function setWaiting(waiting) {
    Object.keys(waiting || {}).forEach(function (code) {
      var li = document.querySelector('#waiting li[data-service="' + code + '"]');
      if (!li) { return; }
      li.querySelector(".w-next").textContent = (waiting[code].next || []).join("  ");
      li.querySelector(".w-count").textContent = waiting[code].count;
    });
  }

  function show(item) {
    $("now-number").textContent = item.number;
    $("now-counter").textContent = body.dataset.toCounter.replace("{counter}", item.counter_name);
    // The words come from the server (kiosk/speech.py announcement_text), not from here.
    $("now-text").textContent = body.dataset.callText
      .replace("{number}", item.number).replace("{counter}", String(item.counter_number));
    var now = $("now");
    now.classList.remove("flash"); void now.offsetWidth; now.classList.add("flash");
  }

  function play(item, done) {
    var url = audioUrl + "?number=" + encodeURIComponent(item.number) + "&counter=" + item.counter_number;
    var audio = new Audio(url);
    // KIOSK_SPEECH_VOLUME, the manager's loudness for every spoken word of the site.
    audio.volume = Math.max(0, Math.min(1, parseFloat(body.dataset.speechVolume || "1")));
    var finished = false;
    function end() { if (!finished) { finished = true; done(); } }
    audio.addEventListener("ended", end);
    audio.addEventListener("error", end);
    setTimeout(end, 20000);
    var p = audio.play();
    if (p && p.catch) {
      p.catch(function () { soundBlocked = true; $("sound").hidden = false; end(); });
    }
  }

  function next() {
    if (busy || !queue.length) { return; }
    busy = true;
    var item = queue.shift();
    show(item);
    var log = document.createElement("li");
    log.textContent = item.number + " " + item.counter_number + " " + Date.now();
    $("announce-log").appendChild(log);
    body.dataset.announcements = String($("announce-log").children.length);
    var started = Date.now();
    function release() {
      var left = minHighlight - (Date.now() - started);
      setTimeout(function () { busy = false; next(); }, Math.max(0, left));
    }
    if (soundBlocked) { release(); } else { play(item, release); }
  }

  $("sound").addEventListener("click", function () {
    soundBlocked = false; $("sound").hidden = true;
  });

  function handle(ev) {
    if (ev.waiting) { setWaiting(ev.waiting); }
    if (ev.counter_id) { setCounter(ev); }
    if ((ev.kind === "called" || ev.kind === "recalled") && ev.number) {
      addHistory(ev);
      // Calls missed while cut off are shown, not spoken: they are no longer news.
      if (!ev.replay) { queue.push(ev); next(); }
    }
  }

  function connect() {
    var url = body.dataset.eventsUrl + "&after=" + encodeURIComponent(body.dataset.after);
    var source = new EventSource(url);
    source.onmessage = function (msg) {
      var ev;
      try { ev = JSON.parse(msg.data); } catch (e) { return; }
      body.dataset.after = String(ev.id);
      handle(ev);
    };
    // Too far behind to replay (a long outage): the server sends the true state instead,
    // and the page simply reloads from it, announcing nothing old.
    source.addEventListener("snapshot", function () { window.location.reload(); });
    source.onopen = function () { $("offline").hidden = true; };
    source.onerror = function () {
      $("offline").hidden = false;
      // The browser reconnects by itself with Last-Event-ID. If it gave up (the server was
      // full and answered 503, or down), start again from the last event seen, after the
      // server's hint, spread out so that a hall of displays does not come back at once.
      if (source.readyState === EventSource.CLOSED) {
        var wait = parseInt(body.dataset.retry || "10", 10) * 1000;
        setTimeout(connect, wait * (0.5 + Math.random()));
      }
    };
  }
  connect();
})();
