"""The kiosk's home page as a citizen meets it, checked by axe-core and for fit (page_audit)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.page_audit import audit_axe, audit_fit

pytestmark = pytest.mark.browser

#: Faults put into a real kiosk page by script, one per kind the audit must name (styles set
#: through the CSSOM: the page's CSP refuses style attributes).
BREAK_THE_PAGE = """() => {
  const main = document.querySelector('main');
  const add = (html, style) => {
    main.insertAdjacentHTML('beforeend', html);
    Object.assign(main.lastElementChild.style, style);
  };
  add('<img id="no-alt" src="/static/favicon.svg">', {});
  add('<p id="grey">Chữ xám nhạt</p>', {color: '#bbb', background: '#fff'});
  add('<button id="tiny">x</button>',
      {width: '30px', height: '30px', minHeight: '0', minWidth: '0', padding: '0'});
  add('<div id="wide">rất rộng</div>', {width: '3000px'});
  add('<div id="cut">Nguyễn Thị Hồng Nhung</div>',
      {width: '50px', overflow: 'hidden', whiteSpace: 'nowrap'});
}"""


@pytest.mark.parametrize(("width", "height"), [(1080, 1920), (1920, 1080)])
def test_kiosk_home_passes_axe_and_fits(browser: Any, server: str, width: int, height: int) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(server + "/kiosk/")
        # The staff's link at the foot is on the screen, so the audit measures it too.
        assert page.get_by_test_id("staff-sign-in").is_visible()
        problems = audit_axe(page) + audit_fit(page, min_target=64)
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


def test_the_audit_names_each_fault_it_finds(browser: Any, server: str) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    try:
        page = context.new_page()
        sent: list[str] = []
        page.on("request", lambda req: sent.append(req.url))
        page.goto(server + "/kiosk/")
        page.evaluate(BREAK_THE_PAGE)
        axe = "\n".join(audit_axe(page))
        fit = "\n".join(audit_fit(page, min_target=64))
    finally:
        context.close()
    assert "axe image-alt (critical)" in axe and "#no-alt" in axe
    assert "axe color-contrast (serious)" in axe and "#grey" in axe
    assert "scrolls sideways" in fit
    assert 'outside the screen: div#wide "rất rộng"' in fit
    assert 'text clipped: div#cut "Nguyễn Thị Hồng Nhung"' in fit
    assert 'touch target too small: button#tiny "x" is 30x30px' in fit
    # axe came from this machine, never from a CDN.
    assert all(u.startswith(server) for u in sent), sent
