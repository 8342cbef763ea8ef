"""Real Chromium (Debian's, driven by Playwright) through what a citizen does at the kiosk.

The app runs as a real server (`kiosk serve`, gunicorn) on a free loopback port with the demo
catalog. Screenshots are kept in tests/artifacts/.
"""

from __future__ import annotations

import sys
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
