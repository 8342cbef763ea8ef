"""The browser tests' fixtures: the kiosk's real server (`kiosk serve` with the demo catalog,
one per test module, on a free loopback port), Chromium, and a kiosk-sized page on it. The steps
those tests share are in `steps.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.steps import CHROMIUM, IDLE
from tests.builders import running_server, unavailable


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="module")
def server(instance: Path) -> Iterator[str]:
    # Idle reset long enough for a citizen to fill a form while the test types.
    with running_server(instance, env={"KIOSK_IDLE_SECONDS": str(IDLE)}) as base:
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
