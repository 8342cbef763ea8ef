"""Large text and high contrast by one tap in the kiosk's header, kept until the idle reset."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.builders import csrf
from tests.page_audit import audit_axe, audit_fit

#: axe's AAA contrast rule (7:1 for text, 4.5:1 for large text).
ENHANCED = """async () => (await axe.run(document, {runOnly: ['color-contrast-enhanced']}))
  .violations.flatMap(v => v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary))"""


def test_the_switch_is_kept_in_the_session_and_wiped_by_the_idle_reset(
    client: FlaskClient,
) -> None:
    assert 'class="easy-read"' not in client.get("/kiosk/").text
    token = csrf(client, "/kiosk/")

    def tap(next_url: str) -> Any:
        return client.post("/kiosk/easy-read", data={"next": next_url, "csrf_token": token})

    back = tap("/kiosk/search")
    assert back.status_code == 302 and back.headers["Location"] == "/kiosk/search"
    page = client.get("/kiosk/search").text
    assert 'class="easy-read"' in page and 'aria-pressed="true"' in page
    assert 'class="easy-read"' in client.get("/kiosk/queue").text
    # Not a way off the site.
    assert tap("//evil.example").headers["Location"] == "/kiosk/"
    assert 'class="easy-read"' not in client.get("/kiosk/").text
    tap("/kiosk/")
    # A form without its token changes nothing.
    assert client.post("/kiosk/easy-read", data={"next": "/kiosk/"}).status_code == 400
    assert 'class="easy-read"' in client.get("/kiosk/").text
    client.get("/kiosk/reset")
    assert 'class="easy-read"' not in client.get("/kiosk/").text


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), [(1080, 1920), (1920, 1080)])
def test_one_tap_makes_the_text_larger_and_the_contrast_at_least_7_to_1(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    width: int,
    height: int,
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(server + "/kiosk/")
        size = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
        before = page.evaluate(size)
        page.get_by_role("button", name="Chữ to").tap()
        page.wait_for_selector("html.easy-read")
        assert page.get_by_role("button", name="Chữ to").get_attribute("aria-pressed") == "true"
        assert page.evaluate(size) >= before * 1.25
        problems: list[str] = []
        for path in ("/kiosk/", "/kiosk/search", "/kiosk/queue", "/kiosk/file/3.000333"):
            page.goto(server + path)
            assert page.locator("html.easy-read").count() == 1, f"{path} forgot the setting"
            problems += audit_axe(page) + audit_fit(page, min_target=64)
            problems += [f"{path}: contrast under 7:1: {p}" for p in page.evaluate(ENHANCED)]
        assert problems == [], "\n".join(problems)
        # The idle reset gives the next citizen the ordinary screen.
        page.goto(server + "/kiosk/reset")
        assert page.locator("html.easy-read").count() == 0
    finally:
        context.close()
