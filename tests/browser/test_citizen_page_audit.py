"""The page audit (axe-core serious/critical, sideways overflow, clipped text, touch targets)
on the citizen pages the filing walk does not reach: the kiosk's status and payment screens,
every filing step in large text (easy read, its primary button in view however tall the step),
a step showing its field errors, at both kiosk
sizes with 64 px targets, and the ticket's phone page /t/<token> at 360×740 with 44 px."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.builders import sample_pdf
from tests.page_audit import audit_axe, audit_fit, audit_reach

pytestmark = pytest.mark.browser
LLTP = "3.000333"
STEPS = 8
KIOSK_SIZES = [(1080, 1920), (1920, 1080)]


def _post(server: str, path: str, data: bytes, ctype: str) -> Any:
    req = urllib.request.Request(server + path, data=data, method="POST",
                                 headers={"Content-Type": ctype})  # fmt: skip
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def _file_online(server: str) -> str:
    """A judicial record filed through the API (fee 200,000 đ owing); its code."""
    ids = []
    for name in ("to-khai.pdf", "cccd.pdf"):
        head = f'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="{name}"'
        body = f"{head}\r\n\r\n".encode() + sample_pdf() + b"\r\n--b0undary--\r\n"
        ids.append(_post(server, "/api/v1/uploads", body,
                         "multipart/form-data; boundary=b0undary")["id"])  # fmt: skip
    docs = ["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
            "Bản chụp giấy tờ tùy thân (thẻ căn cước, hộ chiếu)"]  # fmt: skip
    filed = _post(server, "/api/v1/dossiers", json.dumps({
        "procedure": LLTP,
        "applicant": {"full_name": "Lê Văn Cường", "cccd": "052090004321",
                      "birth_date": "1990-01-02", "gender": "Nam", "phone": "0987654321"},
        "fields": {"noi_sinh": "Gia Lai", "dan_toc": "Kinh", "quoc_tich": "Việt Nam",
                   "noi_thuong_tru": {"commune_code": "21583", "detail": "Tổ 1"},
                   "loai_phieu": "Phiếu số 1", "so_luong_phieu": 1,
                   "xac_nhan_cam_dam_nhiem": "Không", "muc_dich": "Xin việc"},
        "documents": [{"name": n, "upload_id": i} for n, i in zip(docs, ids, strict=True)],
    }).encode(), "application/json")  # fmt: skip
    return str(filed["code"])


def _collecting_account(browser: Any, server: str) -> None:
    """The manager sets up the account that collects the center's fees (once per server)."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        staff = ctx.new_page()
        staff.goto(server + "/office/login?next=/office/accounts")
        staff.fill("input[name=username]", "quanly")
        staff.fill("input[name=password]", "quanly-demo-2026")
        staff.click("button[type=submit]")
        if staff.get_by_text("8888888888").count():
            return
        staff.select_option("select[name=bank_bin]", "970418")
        staff.fill("input[name=number]", "8888888888")
        staff.fill("input[name=holder]", "Trung tâm Phục vụ hành chính công tỉnh Gia Lai")
        staff.click("text=Lưu tài khoản")
        staff.get_by_text("Đã lưu tài khoản").wait_for()
    finally:
        ctx.close()


def _audit(page: Any, where: str, problems: list[str], target: int = 64) -> None:
    problems += [f"{where}: {p}" for p in audit_fit(page, min_target=target) + audit_axe(page)]


@pytest.mark.parametrize(("width", "height"), KIOSK_SIZES)
def test_the_kiosks_status_and_payment_screens_pass_the_audit(
    browser: Any, server: str, width: int, height: int
) -> None:
    _collecting_account(browser, server)
    code = _file_online(server)
    ctx = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    problems: list[str] = []
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.goto(server + "/kiosk/status")
        _audit(page, "status (ask)", problems)
        page.fill("#code", code)
        page.fill("#verify", "4321")
        with page.expect_navigation():
            page.get_by_role("button", name="Xem tình trạng").tap()
        assert page.get_by_text("Mới đăng ký").count() >= 1
        assert page.get_by_role("button", name="Gửi đánh giá").count() == 0
        _audit(page, "status (shown)", problems)
        page.goto(server + "/kiosk/pay")
        _audit(page, "payment (ask)", problems)
        page.fill("#code", code)
        page.fill("#verify", "4321")
        with page.expect_navigation():
            page.get_by_role("button", name="Xem số tiền phải nộp").tap()
        page.locator('[data-testid="amount"]', has_text="200.000 đ").wait_for()
        _audit(page, "payment (shown)", problems)
    finally:
        ctx.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("width", "height"), KIOSK_SIZES)
def test_every_filing_step_in_large_text_and_a_step_with_errors_pass_the_audit(
    browser: Any, server: str, width: int, height: int
) -> None:
    ctx = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    problems: list[str] = []
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.goto(server + "/kiosk/reset")
        # Field errors at the ordinary size: the card step posted empty.
        page.goto(f"{server}/kiosk/file/{LLTP}")
        with page.expect_navigation():
            page.get_by_role("button", name="Tiếp tục").tap()
        assert page.locator(".field-error").count() >= 2
        _audit(page, "card step with errors", problems)
        page.get_by_role("button", name="Chữ to").tap()
        page.wait_for_selector("html.easy-read")
        for n in range(1, STEPS + 1):
            page.goto(f"{server}/kiosk/file/{LLTP}?step={n}")
            assert page.locator("html.easy-read").count() == 1
            _audit(page, f"easy read, step {n}", problems)
            # Taller than the screen in large text: its primary button still in view.
            problems += [f"easy read, step {n}: {p}" for p in audit_reach(page)]
        page.goto(f"{server}/kiosk/file/{LLTP}?step=1")
        with page.expect_navigation():
            page.get_by_role("button", name="Tiếp tục").tap()
        assert page.locator(".field-error").count() >= 2
        _audit(page, "easy read, card step with errors", problems)
        problems += [f"easy read, card step with errors: {p}" for p in audit_reach(page)]
        # The step with errors has its own address: large text off and on again stays on it.
        assert page.url.endswith(f"/kiosk/file/{LLTP}?step=1")
    finally:
        ctx.close()
    assert problems == [], "\n".join(problems)


def test_the_tickets_phone_page_passes_the_audit_at_360(browser: Any, server: str) -> None:
    kiosk_ctx = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    phone_ctx = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    problems: list[str] = []
    try:
        kiosk = kiosk_ctx.new_page()
        kiosk.goto(server + "/kiosk/queue")
        kiosk.locator("button.tile-service").first.tap()
        kiosk.wait_for_url("**/kiosk/queue/*")
        token = kiosk.url.rstrip("/").rsplit("/", 1)[-1]
        phone = phone_ctx.new_page()
        r = phone.goto(f"{server}/t/{token}")
        assert r is not None and r.status == 200
        _audit(phone, "/t/<token>", problems, target=44)
    finally:
        kiosk_ctx.close()
        phone_ctx.close()
    assert problems == [], "\n".join(problems)
