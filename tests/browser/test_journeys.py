"""Real Chromium (Debian's, driven by Playwright) through what a citizen does at the kiosk.

The app runs as a real server (`kiosk serve`, gunicorn) on a free loopback port with the demo
catalog. Screenshots are kept in tests/artifacts/.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.steps import (
    IDLE,
    KIOSK,
    MEASURE,
    SCAN,
    TARGETS,
    _file_in_steps,
    _fill_judicial_record,
    _pick_address,
    _printed_since,
    _sign_in,
    _upload,
    shot,
    type_by_tapping,
)
from tests.builders import ARTIFACTS, sample_image, sample_pdf

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_citizen_finds_a_procedure_by_tapping(page: Any, server: str) -> None:
    page.goto(server + "/")
    shot(page, "01-home-portrait")
    page.get_by_text("Tra cứu thủ tục").first.tap()
    page.wait_for_url("**/kiosk/search")

    page.locator("#q").tap()
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
        "#osk .hg-button, .back, .btn-primary",
        "els => els.map(e => e.getBoundingClientRect().height)",
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
        "/kiosk/file",
        "/kiosk/file/3.000333",
        "/kiosk/file/1.001193",
        "/kiosk/status",
        "/kiosk/pay",
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


def test_a_dossier_filed_at_the_kiosk_received_at_the_counter_resolved_and_rated(
    browser: Any, server: str, instance: Path, tmp_path: Path
) -> None:
    """A citizen files a judicial-record dossier at the kiosk with a scanned CCCD and an
    uploaded PDF and takes the printed receipt; an officer receives a second dossier at the
    counter from a called ticket; a processing officer takes the first to resolved; the citizen
    sees "resolved, early" on the status page and rates it."""

    pdf = tmp_path / "to-khai.pdf"
    pdf.write_bytes(sample_pdf(1.0))
    photo = tmp_path / "cccd.jpg"
    photo.write_bytes(sample_image())
    prints = instance / "prints"
    before = {p.name for p in prints.glob("*.bin")} if prints.exists() else set()
    kiosk_ctx = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    staff_ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    phone_ctx = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        kiosk = kiosk_ctx.new_page()
        kiosk.set_default_timeout(15_000)
        kiosk.goto(server + "/kiosk/")
        kiosk.get_by_text("Nộp hồ sơ").first.tap()
        kiosk.wait_for_url("**/kiosk/file")
        kiosk.get_by_text("Cấp phiếu lý lịch tư pháp").first.tap()
        kiosk.wait_for_url("**/kiosk/file/3.000333")
        # The scanner types the card's QR code and Enter.
        kiosk.locator("#scan").click()
        kiosk.keyboard.type(SCAN + "\n")
        kiosk.locator("#scan-result", has_text="Đã đọc thẻ căn cước").wait_for()
        assert kiosk.input_value('input[name="a.cccd"]') == "064185001234"
        assert kiosk.input_value('input[name="a.full_name"]') == "Nguyễn Thị Hồng Nhung"
        _file_in_steps(kiosk, pdf, photo)
        shot(kiosk, "40-kiosk-filing-form")
        kiosk.get_by_role("button", name="Nộp hồ sơ").tap()
        kiosk.wait_for_url("**/kiosk/file/done/*")
        first = kiosk.inner_text(".dossier-code")
        shot(kiosk, "41-kiosk-receipt")
        receipt = _printed_since(instance, before, f"{server}/d/{first}")
        assert receipt.qr_payloads == [f"{server}/d/{first}"]

        # At the counter: a ticket, called, then Tiếp nhận hồ sơ for it.
        kiosk.goto(server + "/kiosk/queue")
        kiosk.locator('button[value="HOTICH"]').tap()
        kiosk.wait_for_selector('[data-testid="ticket-number"]')
        number = kiosk.inner_text('[data-testid="ticket-number"]')
        staff = staff_ctx.new_page()
        staff.set_default_timeout(15_000)
        staff.goto(server + "/office/counters/1")
        staff.fill("input[name=username]", "canbo")
        staff.fill("input[name=password]", "canbo-demo-2026")
        staff.click("button[type=submit]")
        staff.wait_for_selector("#panel")
        for _ in range(20):  # tickets of the other tests may still be waiting before ours
            if staff.inner_text('[data-testid="current-number"]') == number:
                break
            staff.keyboard.press("n")
            staff.wait_for_timeout(400)
        assert staff.inner_text('[data-testid="current-number"]') == number
        staff.locator('[data-testid="receive-dossier"]').click()
        staff.fill("input[type=search][name=q]", "chung thuc ban sao")
        staff.keyboard.press("Enter")
        staff.get_by_text("Chứng thực bản sao từ bản chính").first.click()
        staff.locator('[data-testid="ticket-number"]', has_text=number).wait_for()
        staff.locator("#scan").click()
        staff.keyboard.type(
            "052090001234|123456789|Trần Văn Bình|01051990|Nam|Thôn 1, Xã Ia Hrú, Gia Lai\n"
        )
        staff.locator("#scan-result", has_text="Đã đọc thẻ căn cước").wait_for()
        staff.fill('input[name="f.ten_giay_to"]', "Bằng tốt nghiệp đại học")
        staff.fill('input[name="f.co_quan_cap"]', "Trường Đại học Quy Nhơn")
        staff.fill('input[name="f.so_trang"]', "1")
        staff.fill('input[name="f.so_ban_sao"]', "3")
        staff.check('input[name="paper.0"]')
        staff.check('input[name="paper.1"]')
        staff.get_by_text("Tiếp nhận và in giấy hẹn").click()
        staff.locator('[data-testid="dossier-status"]', has_text="Đã tiếp nhận").wait_for()
        second = staff.inner_text('[data-testid="dossier-code"]')
        assert second != first
        shot(staff, "42-counter-received")

        # A processing officer takes the first dossier to resolved, with the digitized result.
        staff_ctx.clear_cookies()
        staff.goto(server + "/office/login?next=/office/dossiers")
        staff.fill("input[name=username]", "xuly")
        staff.fill("input[name=password]", "xuly-demo-2026")
        staff.click("button[type=submit]")
        staff.get_by_text(first).click()
        for move in ("accepted", "processing"):
            staff.locator(f'button[data-move="{move}"]').click()
            staff.wait_for_load_state()
        resolve = staff.locator('form:has(button[data-move="resolved"])')
        resolve.locator("input[type=file]").set_input_files(str(pdf))
        resolve.locator("button").click()
        staff.locator('[data-testid="dossier-status"]', has_text="Đã có kết quả").wait_for()
        shot(staff, "43-officer-resolved")

        # The citizen's phone, from the receipt's QR code.
        phone = phone_ctx.new_page()
        phone.goto(receipt.qr_payloads[0])
        phone.fill("#verify", "1234")
        phone.get_by_role("button", name="Xem tình trạng").tap()
        phone.get_by_text("Đã có kết quả").first.wait_for()
        assert phone.get_by_text("Trước hạn").count() >= 1
        phone.locator('label.score:has(input[value="5"])').tap()
        phone.locator('input[value="thoi_gian"]').check()
        phone.get_by_role("button", name="Gửi đánh giá").tap()
        phone.get_by_text("Cảm ơn ông/bà đã đánh giá!").wait_for()
        shot(phone, "44-phone-resolved-early")
    finally:
        for ctx in (kiosk_ctx, staff_ctx, phone_ctx):
            ctx.close()


def test_the_kiosk_payment_screen_turns_to_paid_when_the_bank_says_so(
    browser: Any, server: str, instance: Path, tmp_path: Path
) -> None:
    """A manager sets up the collecting account; a citizen opens Thanh toán for a dossier and
    sees the VietQR code; the bank's signed notification arrives; the screen turns to paid by
    itself, without a reload."""
    import datetime as dt
    import hashlib
    import hmac
    import json
    import os
    import subprocess
    import urllib.request

    from kiosk.domain.money import vietqr

    env = {**os.environ, "KIOSK_INSTANCE_PATH": str(instance)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([KIOSK, "banks", "secret", "BIDV"], env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    secret = out.strip().splitlines()[-1]
    staff_ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    kiosk_ctx = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    try:
        staff = staff_ctx.new_page()
        staff.goto(server + "/office/login?next=/office/accounts")
        staff.fill("input[name=username]", "quanly")
        staff.fill("input[name=password]", "quanly-demo-2026")
        staff.click("button[type=submit]")
        staff.select_option("select[name=bank_bin]", "970418")
        staff.fill("input[name=number]", "8888888888")
        staff.fill("input[name=holder]", "Trung tâm Phục vụ hành chính công tỉnh Gia Lai")
        staff.click("text=Lưu tài khoản")
        staff.get_by_text("Đã lưu tài khoản").wait_for()

        # A dossier filed online through the API (the judicial record: 200,000 đ).
        def post(path: str, data: bytes, ctype: str) -> Any:
            req = urllib.request.Request(server + path, data=data, method="POST",
                                         headers={"Content-Type": ctype})  # fmt: skip
            with urllib.request.urlopen(req, timeout=20) as resp:
                return json.loads(resp.read())

        ids = []
        for name in ("to-khai.pdf", "cccd.pdf"):
            boundary = "b0undary"
            body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                    f'filename="{name}"\r\n\r\n').encode() + sample_pdf() + \
                f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
            ids.append(post("/api/v1/uploads", body,
                            f"multipart/form-data; boundary={boundary}")["id"])  # fmt: skip
        docs = ["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
                "Bản chụp giấy tờ tùy thân (thẻ căn cước, hộ chiếu)"]  # fmt: skip
        filed = post("/api/v1/dossiers", json.dumps({
            "procedure": "3.000333",
            "applicant": {"full_name": "Lê Văn Cường", "cccd": "052090004321",
                          "birth_date": "1990-01-02", "gender": "Nam", "phone": "0987654321"},
            "fields": {"noi_sinh": "Gia Lai", "dan_toc": "Kinh", "quoc_tich": "Việt Nam",
                       "noi_thuong_tru": {"commune_code": "21583", "detail": "Tổ 1"},
                       "loai_phieu": "Phiếu số 1", "so_luong_phieu": 1,
                       "xac_nhan_cam_dam_nhiem": "Không", "muc_dich": "Xin việc"},
            "documents": [{"name": n, "upload_id": i} for n, i in zip(docs, ids, strict=True)],
        }).encode(), "application/json")  # fmt: skip

        kiosk = kiosk_ctx.new_page()
        kiosk.goto(server + "/kiosk/")
        kiosk.get_by_text("Thanh toán").first.tap()
        kiosk.fill("#code", filed["code"])
        kiosk.fill("#verify", "4321")
        kiosk.get_by_role("button", name="Xem số tiền phải nộp").tap()
        kiosk.locator('[data-testid="amount"]', has_text="200.000 đ").wait_for()
        payload = kiosk.get_attribute(".qr", "data-payload") or ""
        code = vietqr.parse(payload)
        assert (code.bin, code.account, code.amount) == ("970418", "8888888888", 200000)
        shot(kiosk, "50-kiosk-pay")
        # The amount has its own address: back is the form again (never Chromium's "Confirm
        # Form Resubmission"), forward the amount again.
        assert kiosk.url.endswith(f"/kiosk/pay/d/{filed['code']}")
        kiosk.go_back()
        kiosk.get_by_role("button", name="Xem số tiền phải nộp").wait_for()
        assert "ERR_CACHE_MISS" not in kiosk.content()
        kiosk.go_forward()
        kiosk.locator('[data-testid="amount"]', has_text="200.000 đ").wait_for()

        body = json.dumps(
            {
                "reference": code.bill,
                "amount": 200000,
                "bank_txn_id": "FT26112399",
                "paid_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        )
        stamp = str(int(time.time()))
        sign = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
        req = urllib.request.Request(server + "/api/v1/payments/callback", data=body.encode(),
                                     method="POST", headers={
            "Content-Type": "application/json", "X-Kiosk-Bank": "BIDV",
            "X-Kiosk-Timestamp": stamp, "X-Kiosk-Signature": sign})  # fmt: skip
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.loads(resp.read())["status"] == "paid"
        kiosk.locator('[data-testid="paid"]').wait_for(timeout=10_000)  # no reload
        shot(kiosk, "51-kiosk-paid")
    finally:
        for ctx in (staff_ctx, kiosk_ctx):
            ctx.close()


def test_an_agent_files_with_consent_and_cash_another_branch_gets_not_found_the_supervisor_audits(
    browser: Any, server: str, instance: Path, tmp_path: Path
) -> None:
    """Issue 11's day at a bank branch: the agent finds the procedure, prints the citizen's
    authorization, uploads it signed, files the dossier with its papers, takes the fee in cash
    and prints the receipts, and finds the dossier in the branch's worklist; an agent of
    another bank gets "not found" for it; the branch's supervisor signs in with a TOTP code
    and sees the filing and the cash in the audit log."""
    import pyotp

    pdf = tmp_path / "to-khai.pdf"
    pdf.write_bytes(sample_pdf(0.5))
    photo = tmp_path / "cccd.jpg"
    photo.write_bytes(sample_image())
    signed = tmp_path / "giay-uy-quyen-da-ky.pdf"
    signed.write_bytes(sample_pdf())
    prints = instance / "prints"
    before = {p.name for p in prints.glob("*.bin")} if prints.exists() else set()
    contexts = [browser.new_context(viewport={"width": 1366, "height": 900}) for _ in range(3)]
    try:
        agent = contexts[0].new_page()
        agent.set_default_timeout(15_000)
        _sign_in(agent, server, "daily", "daily-demo-2026", "/agent/")
        agent.fill("#q", "ly lich tu phap")
        agent.keyboard.press("Enter")
        agent.get_by_text("Cấp phiếu lý lịch tư pháp").first.click()
        agent.wait_for_url("**/agent/file/3.000333")
        agent.fill('input[name="a.full_name"]', "Nguyễn Thị Hồng Nhung")
        agent.fill('input[name="a.cccd"]', "064185001234")
        agent.fill('input[name="a.birth_date"]', "1985-03-12")
        agent.select_option('select[name="a.gender"]', "Nữ")
        agent.fill('input[name="a.phone"]', "0905123456")
        _pick_address(agent, "a")
        # The authorization, filled with the citizen's data, opens as a PDF to print.
        with agent.context.expect_event("page") as opened:
            agent.get_by_role("button", name="In giấy ủy quyền (A4, PDF)").click()
        opened.value.close()
        _upload(agent, "consent", signed)
        _fill_judicial_record(agent, pdf, photo)
        shot(agent, "50-agent-filing-form")
        agent.get_by_role("button", name="Nộp hồ sơ và in giấy tiếp nhận").click()
        agent.wait_for_url("**/agent/dossiers/*")
        code = agent.inner_text('[data-testid="dossier-code"]')
        status_url = f"{server}/d/{code}"
        receipt = _printed_since(instance, before, status_url)
        assert receipt.qr_payloads == [status_url]
        # The fee, in cash, and its receipt.
        assert "200.000" in agent.inner_text('[data-testid="fee-owed"]')
        agent.get_by_role("button", name="Thu tiền mặt và in biên nhận").click()
        agent.locator('[data-testid="fee-paid"]').wait_for()
        cash = _printed_since(instance, before, status_url)
        assert cash.image.height > 0
        shot(agent, "51-agent-dossier-paid")
        agent.goto(server + "/agent/dossiers")
        agent.locator('[data-testid="dossier-code"]', has_text=code).wait_for()

        # An agent of another bank: not found, and not in their worklist.
        other = contexts[1].new_page()
        other.set_default_timeout(15_000)
        _sign_in(other, server, "daily-agr", "daily-agr-demo-2026", "/agent/dossiers")
        other.wait_for_url("**/agent/dossiers")
        assert code not in other.content()
        r = other.goto(f"{server}/agent/dossiers/{code}")
        assert r is not None and r.status == 404
        other.get_by_role("heading", name="Không tìm thấy").wait_for()

        # The supervisor: password, then the second factor (enrolled on first sign-in).
        boss = contexts[2].new_page()
        boss.set_default_timeout(15_000)
        _sign_in(boss, server, "kiemsoat", "kiemsoat-demo-2026", "/agent/audit")
        boss.wait_for_load_state()
        assert "/office/login/totp" in boss.url, (boss.url, boss.inner_text("main"))
        secret = boss.inner_text('[data-testid="totp-secret"]')
        boss.fill("input[name=code]", pyotp.TOTP(secret).now())
        boss.locator("input[name=code]").press("Enter")
        boss.wait_for_url("**/agent/audit*")
        for action in ("dossier.file", "payment.cash"):
            row = boss.locator(f'tr[data-action="{action}"]', has_text=code)
            row.wait_for()
            assert "Võ Thị Mai" in row.inner_text()
        shot(boss, "52-supervisor-audit-log")
    finally:
        for ctx in contexts:
            ctx.close()


def test_the_managers_dashboard_shows_where_the_index_loses_points(
    browser: Any, server: str, instance: Path
) -> None:
    """A month of synthetic work is loaded; the manager opens the dashboard (last month by
    default), sees the index per unit and per counter, opens a commune's losses and a
    dossier from there; the dashboard refreshes itself in place."""
    import os
    import subprocess

    env = {**os.environ, "KIOSK_INSTANCE_PATH": str(instance)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([KIOSK, "demo-month", "--dossiers", "900", "--seed", "4"], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.goto(server + "/office/login?next=/office/reports")
        page.fill("input[name=username]", "quanly")
        page.fill("input[name=password]", "quanly-demo-2026")
        page.click("button[type=submit]")
        page.wait_for_selector('[data-testid="index-total"]')
        total = float(page.inner_text('[data-testid="index-total"]'))
        assert 40 < total < 100
        assert page.locator("#dashboard svg").count() >= 6
        shot(page, "60-manager-dashboard")
        page.screenshot(path=str(ARTIFACTS / "61-manager-dashboard-full.png"), full_page=True)
        # Refreshing itself: htmx swaps the dashboard in place, the page stays.
        page.evaluate("htmx.trigger('#dashboard', 'every 60s')")
        page.wait_for_timeout(300)
        assert page.locator("#dashboard").count() == 1
        # A commune's row: its digitization points, then the dossiers that lost them.
        row = page.locator('tr[data-unit="21583"]')
        row.wait_for()
        row.locator("td a").last.click()
        page.wait_for_selector('[data-testid="losses"]')
        assert "Phường Quy Nhơn" in page.inner_text("main")
        shot(page, "62-dashboard-losses")
        page.locator('[data-testid="losses"] tbody a').first.click()
        page.wait_for_selector('[data-testid="dossier-code"]')
    finally:
        ctx.close()
