"""What a citizen sees, checked in a real browser: accessibility (axe-core) and fit.

A helper module for the browser tests (no tests in it). Both functions take a Playwright page
that has already loaded the screen to check and return a list of readable problems, empty when
the screen is right, so a test can collect them across pages and assert once::

    from .page_audit import audit_axe, audit_fit

    page.goto(server + "/kiosk/")
    problems = audit_axe(page) + audit_fit(page, min_target=64)  # 44 on a phone
    assert problems == []

axe-core is pinned in package.json and installed from npm by `make assets`; it is served to the
browser from node_modules through a route on the page's own origin, so the page's strict CSP
(script-src 'self') is kept and nothing is fetched from the Internet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.1 levels A and AA, the rules the issue asks for.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERIOUS = ("serious", "critical")
#: Everything a finger is meant to hit.
TARGETS = "a, button, input, select, textarea, [role=button]"
_AXE_PATH = "/__page_audit__/axe.min.js"

_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || '',
                              html: n.html.slice(0, 160)})),
  }));
}"""

_MEASURE = """([targets, minTarget]) => {
  const vw = document.documentElement.clientWidth, vh = window.innerHeight;
  const shown = el => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const name = el => {
    let sel = el.tagName.toLowerCase();
    if (el.id) sel += '#' + el.id;
    else if (el.classList.length) sel += '.' + [...el.classList].join('.');
    if (el.getAttribute('name')) sel += `[name="${el.getAttribute('name')}"]`;
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    return text ? `${sel} "${text}"` : sel;
  };
  // Visually hidden on purpose (skip links, screen-reader text): 1 px boxes, clipped away.
  const srOnly = el => {
    const r = el.getBoundingClientRect();
    return r.width <= 1 || r.height <= 1;
  };
  const out = [];
  const scroll = document.documentElement.scrollWidth;
  if (scroll > vw) out.push(`the page scrolls sideways: ${scroll}px wide on a ${vw}px screen`);
  for (const el of document.querySelectorAll('body *')) {
    if (!shown(el) || srOnly(el) || el instanceof SVGElement) continue;
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    if (r.right > vw + 1 || r.left < -1) {
      out.push(`outside the screen: ${name(el)} spans x ${Math.round(r.left)}..` +
               `${Math.round(r.right)} on a ${vw}px screen`);
      continue;
    }
    const hides = ['hidden', 'clip'].includes(s.overflowX) || s.textOverflow === 'ellipsis';
    if (hides && el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1) {
      out.push(`text clipped: ${name(el)} needs ${el.scrollWidth}px, shows ${el.clientWidth}px`);
    }
    const hidesY = ['hidden', 'clip'].includes(s.overflowY);
    if (hidesY && el.clientHeight > 1 && el.scrollHeight > el.clientHeight + 1 &&
        el.innerText && el.innerText.trim()) {
      out.push(`text clipped: ${name(el)} needs ${el.scrollHeight}px high, ` +
               `shows ${el.clientHeight}px`);
    }
  }
  for (const el of document.querySelectorAll(targets)) {
    if (!shown(el) || el.type === 'hidden' || srOnly(el)) continue;
    // A check box or radio counts by its label, which is what a finger hits.
    const label = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label');
    const r = (label || el).getBoundingClientRect();
    if (r.width < minTarget || r.height < minTarget) {
      out.push(`touch target too small: ${name(label || el)} is ` +
               `${Math.round(r.width)}x${Math.round(r.height)}px, needs ${minTarget}x${minTarget}`);
    }
  }
  return [...new Set(out)];
}"""


def _origin(page: Any) -> str:
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def _load_axe(page: Any) -> None:
    if page.evaluate("typeof window.axe") == "object":
        return
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `make assets` (npm ci)")
    url = _origin(page) + _AXE_PATH
    # Served as if by the app itself, from the pinned copy on disk: CSP stays 'self'.
    page.route(url, lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    page.add_script_tag(url=url)


def audit_axe(page: Any) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the loaded page.

    One line per failing element: rule id, impact, what the rule wants, the element's selector
    and axe's summary of what fails.
    """
    _load_axe(page)
    where = urlsplit(page.url).path
    problems = []
    for v in page.evaluate(_RUN_AXE, WCAG_TAGS):
        if v["impact"] not in SERIOUS:
            continue
        for node in v["nodes"]:
            summary = " ".join(node["summary"].split())
            problems.append(
                f"{where}: axe {v['id']} ({v['impact']}): {v['help']} - {node['target']} "
                f"{node['html']!r}: {summary}"
            )
    return problems


def audit_fit(page: Any, min_target: int = 64) -> list[str]:
    """Sideways overflow, clipped text, elements outside the screen and touch targets smaller
    than `min_target` px (64 on the kiosk, 44 on a phone) on the loaded page, each naming the
    element (tag#id.class[name] "its text") and its measures."""
    where = urlsplit(page.url).path
    return [f"{where}: {p}" for p in page.evaluate(_MEASURE, [TARGETS, min_target])]


_REACH = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return `no primary action (${selector}) on the page`;
  const r = el.getBoundingClientRect(), vh = innerHeight, vw = innerWidth;
  const label = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
  if (r.top < 0 || r.bottom > vh || r.left < 0 || r.right > vw) {
    return `the primary action "${label}" is outside the screen as it opens: ` +
           `y ${Math.round(r.top)}..${Math.round(r.bottom)} on a ${vh}px screen ` +
           `(page ${document.documentElement.scrollHeight}px high)`;
  }
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  if (!hit || !(el === hit || el.contains(hit))) {
    const by = hit ? (hit.id ? '#' + hit.id : hit.tagName.toLowerCase() +
                      (hit.classList.length ? '.' + [...hit.classList].join('.') : '')) : 'nothing';
    return `the primary action "${label}" is covered by ${by}`;
  }
  return '';
}"""


def audit_reach(page: Any, selector: str = ".step-nav .btn-primary") -> list[str]:
    """Whether the step's primary action (`selector`) is on the screen and can be tapped as
    the page opens, however tall the page (large text): inside the viewport, not under
    anything else. The fit audit measures sideways only; a button below the screen of a
    touch kiosk, where nothing shows that the page scrolls, is not found."""
    where = urlsplit(page.url).path
    problem = page.evaluate(_REACH, selector)
    return [f"{where}: {problem}"] if problem else []
