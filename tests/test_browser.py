"""Real Chromium (Debian's, driven by Playwright) through what a citizen does at the kiosk.

The app runs as a real server (`kiosk serve`, gunicorn) on a free loopback port with the demo
catalog. Screenshots are kept in tests/artifacts/.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, running_server, unavailable

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
IDLE = 4
KIOSK = str(Path(sys.executable).with_name("kiosk"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    inst = tmp_path_factory.mktemp("instance")
    with running_server(inst, env={"KIOSK_IDLE_SECONDS": str(IDLE)}) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                # As a hall TV is started: it speaks without anyone touching it first.
                "--autoplay-policy=no-user-gesture-required",
            ],
        )  # fmt: skip
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.requests = []  # type: ignore[attr-defined]
    page.on("request", lambda req: page.requests.append(req.url))  # type: ignore[attr-defined]
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def type_by_tapping(page: Any, text: str) -> None:
    for ch in text:
        key = "space" if ch == " " else ch
        page.locator(f'.kb-key[data-key="{key}"]').tap()


def test_citizen_finds_a_procedure_by_tapping(page: Any, server: str) -> None:
    page.goto(server + "/")
    shot(page, "01-home-portrait")
    page.get_by_text("Tra cứu thủ tục").first.tap()
    page.wait_for_url("**/kiosk/search")

    type_by_tapping(page, "doi giay phep lai xe")
    assert page.locator("#q").input_value() == "doi giay phep lai xe"
    first = page.locator(".result-name").first
    first.wait_for()
    first_is = "() => document.querySelector('.result-name')?.textContent.startsWith(%r)"
    page.wait_for_function(first_is % "Đổi giấy phép lái xe")
    shot(page, "02-search-results")

    first.tap()
    page.wait_for_url("**/kiosk/procedures/**")
    assert page.locator("h1").inner_text().startswith("Đổi giấy phép lái xe")
    assert page.locator(".checklist li").count() >= 2
    assert page.locator(".qr svg").is_visible()
    shot(page, "03-procedure-vi")

    page.get_by_role("link", name="English").tap()
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert page.get_by_text("Documents to bring").is_visible()
    shot(page, "04-procedure-en")

    # Untouched for the idle time: back home, in Vietnamese, with nothing typed kept.
    page.wait_for_url("**/kiosk/", timeout=(IDLE + 6) * 1000)
    assert page.evaluate("document.documentElement.lang") == "vi"
    page.get_by_text("Tra cứu thủ tục").first.tap()
    page.wait_for_url("**/kiosk/search")
    assert page.locator("#q").input_value() == ""
    shot(page, "05-after-idle")

    outside = [u for u in page.requests if not u.startswith(server)]
    assert outside == [], f"requests left the machine: {outside}"


def test_browse_by_field_and_level(page: Any, server: str) -> None:
    page.goto(server + "/kiosk/")
    page.get_by_text("Thủ tục cấp xã").tap()
    page.get_by_text("Hộ tịch").tap()
    page.wait_for_url("**/kiosk/search?**")
    names = page.locator(".result-name").all_inner_texts()
    assert "Đăng ký khai sinh" in names
    assert all("Lý lịch tư pháp" not in n for n in names)


def test_landscape_tv_layout_fits(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, has_touch=True)
    page = context.new_page()
    for path, name in (
        ("/kiosk/", "06-home-landscape"),
        ("/kiosk/procedures/1.004222", "07-procedure-landscape"),
    ):
        page.goto(server + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        shot(page, name)
    # Touch targets are large: every tile and key at least 64 px tall.
    page.goto(server + "/kiosk/search")
    heights = page.eval_on_selector_all(
        ".kb-key, .back, .btn-primary", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert min(heights) >= 64
    context.close()


def test_a_centers_floor_kiosk_counter_and_tv(browser: Any, server: str) -> None:
    from playwright.sync_api import expect

    """Three windows like a center's floor: the kiosk issues, the counter calls, the TV shows
    and announces the call within a second; two calls in the same second are announced one
    after the other, never over each other."""
    tv_ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    kiosk_ctx = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    staff_ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        tv = tv_ctx.new_page()
        tv.goto(server + "/office/display")
        kiosk = kiosk_ctx.new_page()
        numbers = []
        for _ in range(3):
            kiosk.goto(server + "/kiosk/queue")
            kiosk.locator('button[value="HOTICH"]').tap()
            kiosk.wait_for_selector('[data-testid="ticket-number"]')
            numbers.append(kiosk.inner_text('[data-testid="ticket-number"]'))
        assert kiosk.get_by_text("Trước ông/bà còn 2 người").count() == 1
        shot(kiosk, "20-kiosk-ticket")
        assert numbers[0][0] == "A" and len(set(numbers)) == 3

        counter1 = staff_ctx.new_page()
        counter1.goto(server + "/office/counters/1")
        counter1.fill("input[name=username]", "canbo")
        counter1.fill("input[name=password]", "canbo-demo-2026")
        counter1.click("button[type=submit]")
        counter1.wait_for_selector("#panel")
        counter2 = staff_ctx.new_page()
        counter2.goto(server + "/office/counters/2")
        counter2.wait_for_selector("#panel")

        started = time.monotonic()
        counter1.keyboard.press("n")
        # The page's CSP allows no eval, so wait with locators, not JavaScript strings.
        expect(tv.locator("#now-number")).to_have_text(numbers[0], timeout=1000)
        shown_after = time.monotonic() - started
        assert shown_after < 1.0
        counter1.wait_for_selector(f'[data-testid="current-number"]:text("{numbers[0]}")')
        shot(counter1, "21-counter-called")
        shot(tv, "22-tv-announcing")
        assert tv.locator("#history li").first.inner_text().startswith(numbers[0])

        # Two counters call within the same second: both are queued, neither cuts the other.
        counter1.keyboard.press("n")
        counter2.keyboard.press("n")
        expect(tv.locator("#announce-log li")).to_have_count(3, timeout=20_000)
        log = tv.eval_on_selector_all("#announce-log li", "els => els.map(e => e.textContent)")
        starts = [int(entry.split()[-1]) for entry in log]
        min_highlight = int(tv.get_attribute("body", "data-min-highlight") or "0") * 1000
        assert starts[2] - starts[1] >= min_highlight
        assert {entry.split()[0] for entry in log[1:]} == {numbers[1], numbers[2]}
        history = tv.locator("#history li .h-counter").all_inner_texts()
        assert set(history[:2]) == {"Quầy 1", "Quầy 2"}
        shot(tv, "23-tv-two-calls")

        # A display that reloads shows the same calls and announces none of them again.
        tv.reload()
        tv.wait_for_timeout(1500)
        assert tv.get_attribute("body", "data-announcements") == "0"
        assert len(tv.locator("#history li").all()) == 3
    finally:
        for ctx in (tv_ctx, kiosk_ctx, staff_ctx):
            ctx.close()


#: Everything a finger is meant to hit on the kiosk.
TARGETS = "button, a.btn, a.tile, a.back, .kb-key, input, select, [role=button]"
MEASURE = """(targets) => {
  const vw = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && r.right > vw + 1;
  }).map(el => el.tagName.toLowerCase() + '.' + el.className + ' right=' +
         Math.round(el.getBoundingClientRect().right));
  const small = [...document.querySelectorAll(targets)].filter(el => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || s.visibility === 'hidden' || el.type === 'hidden') {
      return false;
    }
    // A check box counts by its label, which is the target a finger hits.
    const box = el.closest('label') ? el.closest('label').getBoundingClientRect() : r;
    return box.height < 64 || box.width < 64;
  }).map(el => el.tagName.toLowerCase() + '.' + el.className + ' "' +
         (el.textContent || el.value || '').trim().slice(0, 20) + '" ' +
         Math.round(el.getBoundingClientRect().width) + 'x' +
         Math.round(el.getBoundingClientRect().height));
  // Text wider than its own box (a number cut off at the card's edge).
  const clipped = [...document.querySelectorAll('main *')].filter(el =>
    el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1 &&  // 1 px: visually hidden
    !(el instanceof SVGElement) && getComputedStyle(el).display !== 'inline'
  ).map(el => el.tagName.toLowerCase() + '.' + el.className + ' ' + el.scrollWidth + '>' +
        el.clientWidth);
  return {scroll: document.documentElement.scrollWidth, vw, wide, small, clipped};
}"""


@pytest.mark.parametrize(
    ("width", "height", "name"), [(1080, 1920, "portrait"), (1920, 1080, "landscape")]
)
def test_every_kiosk_page_fits_the_screen_with_big_targets(
    browser: Any, server: str, width: int, height: int, name: str
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    pages = [
        "/kiosk/",
        "/kiosk/search",
        "/kiosk/search?q=doi+giay+phep+lai+xe",
        "/kiosk/fields",
        "/kiosk/procedures/1.004222",
        "/kiosk/queue",
        "/kiosk/khong-co-trang-nay",
    ]
    problems: dict[str, Any] = {}
    try:
        for path in pages:
            page.goto(server + path)
            found = page.evaluate(MEASURE, TARGETS)
            if found["scroll"] > found["vw"] or any(found[k] for k in ("wide", "small", "clipped")):
                problems[path] = found
        # The ticket screen, as a citizen reaches it.
        page.goto(server + "/kiosk/queue")
        page.locator("button.tile-service").first.tap()
        page.wait_for_url("**/kiosk/queue/*")
        shot(page, f"30-ticket-{name}")
        found = page.evaluate(MEASURE, TARGETS)
        if found["scroll"] > found["vw"] or any(found[k] for k in ("wide", "small", "clipped")):
            problems["ticket screen"] = found
    finally:
        context.close()
    assert problems == {}
