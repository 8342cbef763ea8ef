// The kiosk's on-screen keyboard: simple-keyboard (static/vendor, pinned from npm) on every
// text field of the citizen's pages, Vietnamese by touch, digits only for numeric fields.
// Served from this machine; runs under a CSP without inline scripts or eval.
//
// Vietnamese: the base letters â ă ê ô ơ ư đ are keys of their own; the five tone keys put their
// mark on the vowel of the last word that carries it (see `toneAt`), again to take it off.
// What goes into the field is NFC, as a Vietnamese keyboard of a phone types it.
(function () {
  "use strict";
  var SK = window.SimpleKeyboard && window.SimpleKeyboard.default;
  var mount = document.getElementById("osk");
  if (!SK || !mount) { return; }
  var labels = JSON.parse(mount.dataset.labels || "{}");

  var TONES = { "{sac}": "\u0301", "{huyen}": "\u0300", "{hoi}": "\u0309", "{nga}": "\u0303", "{nang}": "\u0323" };
  var ANY_TONE = /[\u0300\u0301\u0303\u0309\u0323]/g;
  var VOWELS = "aăâeêioôơuưy";
  var MARKED = "ăâêôơư";

  function isVowel(ch) { return VOWELS.indexOf(ch.toLowerCase()) >= 0; }

  // Which letter of a toneless word takes the tone: the last vowel with a hat, horn or breve
  // (ơ in "ươ"); else the last vowel when a consonant ends the word (toán); else the middle of
  // three vowels (ngoại), else the first of two (của, hòa). The u of qu- and the i of gi- before
  // another vowel belong to the consonant.
  function toneAt(chars) {
    var lower = chars.join("").toLowerCase();
    var i = 0;
    while (i < chars.length && !isVowel(chars[i])) { i++; }
    if (i >= chars.length) { return -1; }
    if ((lower.slice(i - 1, i + 1) === "qu" || lower.slice(i - 1, i + 1) === "gi") &&
        i + 1 < chars.length && isVowel(chars[i + 1])) { i++; }
    var end = i;
    while (end < chars.length && isVowel(chars[end])) { end++; }
    var marked = -1;
    for (var j = i; j < end; j++) { if (MARKED.indexOf(lower[j]) >= 0) { marked = j; } }
    if (marked >= 0) { return marked; }
    var n = end - i;
    if (end < chars.length || n === 1) { return end - 1; }
    return n >= 3 ? i + 1 : i;
  }

  function applyTone(text, mark) {
    var m = /\S+$/.exec(text);
    if (!m) { return text; }
    var word = m[0].normalize("NFD");
    var had = (word.match(ANY_TONE) || [])[0];
    var chars = Array.from(word.replace(ANY_TONE, "").normalize("NFC"));
    var at = toneAt(chars);
    if (at < 0) { return text; }
    if (had !== mark) { chars[at] = chars[at] + mark; }
    return text.slice(0, m.index) + chars.join("").normalize("NFC");
  }

  var LETTERS = [
    "1 2 3 4 5 6 7 8 9 0 {bksp}",
    "q w e r t y u i o p",
    "a s d f g h j k l",
    "{shift} z x c v b n m , . -",
    "â ă ê ô ơ ư đ",
    "{sac} {huyen} {hoi} {nga} {nang}",
    "{clear} {space} {done}",
  ];
  var layouts = {
    default: LETTERS,
    shift: LETTERS.map(function (row) {
      return row.split(" ").map(function (k) { return k[0] === "{" ? k : k.toUpperCase(); }).join(" ");
    }),
    digits: ["1 2 3", "4 5 6", "7 8 9", "{clear} 0 {bksp}", "{done}"],
    date: ["1 2 3", "4 5 6", "7 8 9", "/ 0 {bksp}", "{clear} {done}"],
    // An email address: no marks, no spaces, and its own signs at hand.
    email: [
      "1 2 3 4 5 6 7 8 9 0 {bksp}",
      "q w e r t y u i o p",
      "a s d f g h j k l",
      "z x c v b n m",
      "@ . _ - .com .vn",
      "{clear} {done}",
    ],
  };

  var active = null;
  var shifted = false;
  var keyboard = new SK(mount.querySelector(".osk-keys"), {
    layout: layouts,
    layoutName: "default",
    display: labels,
    useButtonTag: true,
    preventMouseDownDefault: true,
    disableButtonHold: true,
    theme: "hg-theme-default osk-theme",
    onKeyPress: press,
  });
  function layoutFor(field) {
    var mode = field.getAttribute("inputmode") || "";
    if (field.dataset.osk === "date" || /\//.test(field.getAttribute("placeholder") || "") && mode === "numeric") {
      return "date";
    }
    if (field.type === "email" || mode === "email") { return "email"; }
    if (mode === "numeric" || mode === "tel" || mode === "decimal" ||
        field.type === "tel" || field.type === "number") { return "digits"; }
    return shifted ? "shift" : "default";
  }

  function setLayout(name) {
    keyboard.setOptions({ layoutName: name });
    mount.dataset.layout = name;
  }

  function press(button) {
    if (!active || !document.contains(active)) { hide(); return; }
    var v = active.value;
    var max = active.maxLength > 0 ? active.maxLength : Infinity;
    if (button === "{done}") { hide(); swallowTap(); return; }
    if (button === "{shift}") { shifted = !shifted; setLayout(layoutFor(active)); return; }
    if (button === "{bksp}") { v = Array.from(v).slice(0, -1).join(""); }
    else if (button === "{clear}") { v = ""; }
    else if (TONES[button]) { v = applyTone(v, TONES[button]); }
    else if (button === "{space}") { if (v && !/ $/.test(v)) { v += " "; } }
    else if (Array.from(v).length < max) {
      v = (v + button).normalize("NFC");
      if (shifted) { shifted = false; setLayout(layoutFor(active)); }
    }
    if (v !== active.value) {
      active.value = v;
      active.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  function eligible(el) {
    if (!el || !el.matches || !el.matches(
      "input:not([type]), input[type=text], input[type=search], input[type=tel], input[type=number], " +
      "input[type=email], textarea")) { return false; }
    return !el.readOnly && !el.disabled && !el.matches(".scan-input, [data-osk=off]");
  }

  // The keyboard sits at the bottom of the screen; the page gets room under it and the field
  // being typed is scrolled above it, never under it.
  function keepInView() {
    if (!active) { return; }
    var top = mount.getBoundingClientRect().top;
    document.body.style.paddingBottom = mount.offsetHeight + "px";
    var r = active.getBoundingClientRect();
    var label = active.labels && active.labels[0] ? active.labels[0].getBoundingClientRect().top : r.top;
    if (r.bottom > top - 16) { window.scrollBy(0, r.bottom - top + 32); }
    else if (Math.min(r.top, label) < 0) { window.scrollBy(0, Math.min(r.top, label) - 16); }
  }

  function show(field) {
    active = field;
    shifted = false;
    setLayout(layoutFor(field));
    mount.hidden = false;
    document.body.classList.add("osk-open");
    keepInView();
  }

  function hide() {
    active = null;
    mount.hidden = true;
    document.body.classList.remove("osk-open");
    // The room made under the page stays: taking it away would move the page under the finger
    // between the tap that hides the keyboard and its click.
  }

  // "Xong" hides the keyboard on the key's pointerdown: the rest of that tap (the mouse events
  // and the click a touch makes) would land on what the keyboard covered (a procedure of the
  // list, the wrong procedure filed). A touch on a key never makes those events (its
  // touchstart is cancelled); a mouse's are dropped until that click, or the next press.
  var swallowUntil = 0;
  function swallowTap() { swallowUntil = Date.now() + 1000; }
  document.addEventListener("pointerdown", function () { swallowUntil = 0; }, true);
  ["mousedown", "mouseup", "click"].forEach(function (type) {
    document.addEventListener(type, function (ev) {
      if (Date.now() > swallowUntil) { return; }
      ev.preventDefault();
      ev.stopImmediatePropagation();
      if (type === "click") { swallowUntil = 0; }
    }, true);
  });
  mount.addEventListener("touchstart", function (ev) {
    if (ev.cancelable) { ev.preventDefault(); }
  }, { passive: false });

  document.addEventListener("focusin", function (ev) {
    if (eligible(ev.target)) { show(ev.target); }
    else if (!mount.contains(ev.target)) { hide(); }
  });
  // A tap on the page (not on a field, not on a key) puts the keyboard away.
  // (A key just redrawn by its own tap, as shift does, is no longer in the page: not "outside".)
  document.addEventListener("pointerdown", function (ev) {
    var t = ev.target;
    // The field still focused after "Xong" opens the keyboard again (no focusin comes).
    if (eligible(t)) { if (mount.hidden && t === document.activeElement) { show(t); } return; }
    if (mount.hidden || !t.isConnected || mount.contains(t)) { return; }
    if (t.closest && t.closest(".hg-button")) { return; }
    hide();
  });
  if (eligible(document.activeElement)) { show(document.activeElement); }

  window.kioskKeyboard = { applyTone: applyTone };
})();
