"""What an outside tester found at the kiosk and on the phone (issue 18), in real Chromium:
each kiosk screen has its own address and back works by touch; the check-your-answers page
says the fee and how to pay, read aloud with the rest; and the phone's status page follows the
dossier to its hand-back (it still said "come and collect")."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests.builders import file_online_over_http
from tests.page_audit import audit_axe, audit_fit

pytestmark = pytest.mark.browser
LLTP = "3.000333"
REVIEW = 8  # the judicial record's check-your-answers step


def _tap_to(page: Any, locator: Any, path: str) -> None:
    with page.expect_navigation():
        locator.tap()
    assert urlsplit(page.url).path + ("?" + urlsplit(page.url).query if urlsplit(
        page.url).query else "") == path, page.url  # fmt: skip


def test_each_kiosk_screen_has_its_address_and_back_works_by_touch(
    browser: Any, server: str
) -> None:
    ctx = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.goto(server + "/kiosk/reset")
        assert urlsplit(page.url).path == "/kiosk/"
        _tap_to(page, page.locator("a.tile-file"), "/kiosk/file")
        _tap_to(page, page.get_by_role("link", name="Trang chủ"), "/kiosk/")
        _tap_to(page, page.locator("a.tile-fields"), "/kiosk/fields")
        field = page.locator("a.field-tile").first
        href = field.get_attribute("href")
        _tap_to(page, field, href)
        # The browser's back, as a kiosk's back gesture or key, returns to the list.
        page.go_back()
        assert urlsplit(page.url).path == "/kiosk/fields"
        _tap_to(page, page.get_by_role("link", name="Trang chủ"), "/kiosk/")
        _tap_to(page, page.locator("a.tile-file"), "/kiosk/file")
        _tap_to(page, page.get_by_text("Cấp phiếu lý lịch tư pháp").first, f"/kiosk/file/{LLTP}")
        # A step refused with its errors keeps its own address: large text on and off, or a
        # staff member looking, finds the citizen on the same step.
        with page.expect_navigation():
            page.get_by_role("button", name="Tiếp tục").tap()
        assert page.url.endswith(f"/kiosk/file/{LLTP}?step=1")
        page.get_by_role("button", name="Chữ to").tap()
        page.wait_for_selector("html.easy-read")
        assert page.url.endswith(f"/kiosk/file/{LLTP}?step=1")
        page.goto(f"{server}/kiosk/file/{LLTP}?step=3")
        _tap_to(page, page.get_by_role("button", name="Quay lại"), f"/kiosk/file/{LLTP}?step=2")
        _tap_to(page, page.get_by_role("link", name="Chọn thủ tục khác"), "/kiosk/file")
    finally:
        ctx.close()


def test_the_review_shows_the_fee_and_how_to_pay_and_reads_it_aloud(
    browser: Any, server: str
) -> None:
    ctx = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    texts: list[str] = []
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.goto(server + "/kiosk/reset")
        page.goto(f"{server}/kiosk/file/{LLTP}?step={REVIEW}")
        fee = page.locator('[data-testid="fee-check"]')
        assert "200.000 đ" in fee.inner_text() and "VietQR" in fee.inner_text()
        assert "tiền mặt tại quầy" in fee.inner_text() and "100.000 đ" in fee.inner_text()

        def heard(r: Any) -> None:
            if "/kiosk/speak?" in r.url:
                texts.extend(parse_qs(urlsplit(r.url).query)["text"])

        page.on("request", heard)
        page.get_by_role("button", name="Nghe").tap()
        for _ in range(30):
            if any("Hai trăm nghìn đồng" in t for t in texts):
                break
            page.wait_for_timeout(100)
        assert "Phí, lệ phí: Hai trăm nghìn đồng" in texts, texts
        assert any("VietQR" in t for t in texts), texts
    finally:
        ctx.close()


def test_the_phone_status_page_after_the_hand_back_says_it_is_done(
    browser: Any, server: str, instance: Path
) -> None:
    from kiosk.app import create_app
    from kiosk.domain import dossiers, money
    from kiosk.models import User

    code = file_online_over_http(server)
    # The server's own database (SQLite in its instance folder), as `kiosk` commands open it.
    db = f"sqlite:///{instance / 'kiosk.db'}"
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": db}, commands=True)
    s = app.extensions["kiosk.sessionmaker"]()
    try:
        xuly = s.scalar(select(User).where(User.username == "xuly"))
        canbo = s.scalar(select(User).where(User.username == "canbo"))
        found = dossiers.find(s, code)
        assert found is not None and xuly is not None and canbo is not None
        dossiers.move(s, found, "accepted", xuly)
        dossiers.move(s, found, "resolved", xuly)
        money.record_cash(s, found, canbo, money.due_amount(s, found))  # the fee first
        dossiers.hand_back(s, found, canbo, "Lê Văn Cường", "052090004321", at_center=True)
    finally:
        s.close()
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    try:
        phone = ctx.new_page()
        phone.goto(f"{server}/d/{code}")
        phone.fill("input[name=verify]", "4321")
        with phone.expect_navigation():
            phone.locator("form button[type=submit]").first.tap()
        said = phone.locator('[data-testid="next-step"]').inner_text()
        assert "Đã trả kết quả: hồ sơ đã xong" in said
        assert "Khi đến nhận" not in said and "đến nhận kết quả" not in said
        problems = audit_fit(phone, min_target=44) + audit_axe(phone)
        assert problems == [], "\n".join(problems)
    finally:
        ctx.close()
