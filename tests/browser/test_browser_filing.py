"""Filing at the kiosk in steps (issue 18), in real Chromium by touch at both kiosk sizes: each
step fits the screen (nothing wider than it, its buttons in view without scrolling), values
survive going back and forth, an impossible date is refused, the scan fills the addresses, the
check-your-answers page shows every value and each paper with its thumbnail, and the receipt
follows. Then the phone pages at 360×740."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.steps import MEASURE, SCAN, TARGETS, _file_in_steps, shot, type_by_tapping
from tests.page_audit import audit_axe, audit_fit

pytestmark = pytest.mark.browser
LLTP = "3.000333"
#: Where a step's buttons are and how wide the page is.
FIT = """() => {
  const nav = document.querySelector('.step-nav');
  const r = nav ? nav.getBoundingClientRect() : null;
  return {sw: document.documentElement.scrollWidth, vw: innerWidth, vh: innerHeight,
          navBottom: r ? r.bottom + scrollY : 0};
}"""


def _fits(page: Any, where: str, problems: dict[str, Any]) -> None:
    """The step's buttons in view without scrolling, nothing wider than the screen, no text
    clipped, no touch target under 64 px, no serious or critical axe-core violation."""
    got = page.evaluate(FIT)
    if got["sw"] > got["vw"] or got["navBottom"] > got["vh"]:
        problems[where] = got
    audit = audit_fit(page, min_target=64) + audit_axe(page)
    if audit:
        problems[where + " audit"] = audit


def _type(page: Any, selector: str, text: str) -> None:
    """Tap the field, type on the on-screen keyboard by taps alone, tap "Xong"."""
    page.locator(selector).tap()
    type_by_tapping(page, text)
    page.locator('#osk button.hg-button[data-skbtn="{done}"]').tap()


def _next(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Tiếp tục").tap()


def _back(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Quay lại").tap()


@pytest.mark.parametrize(
    ("width", "height", "name"), [(1080, 1920, "portrait"), (1920, 1080, "landscape")]
)
def test_a_citizen_files_in_steps_by_touch(
    browser: Any, server: str, tmp_path: Path, width: int, height: int, name: str
) -> None:
    from tests.builders import sample_image, sample_pdf

    pdf = tmp_path / "to-khai.pdf"
    pdf.write_bytes(sample_pdf(0.2))
    photo = tmp_path / "cccd.jpg"
    photo.write_bytes(sample_image())
    ctx = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    fit: dict[str, Any] = {}
    try:
        page.goto(server + "/kiosk/reset")
        page.locator("a.tile-file").tap()
        page.wait_for_url("**/kiosk/file")
        page.get_by_text("Cấp phiếu lý lịch tư pháp").first.tap()
        page.wait_for_url(f"**/kiosk/file/{LLTP}")
        assert page.inner_text(".progress-count") == "Bước 1/8"
        # An impossible birth date typed by hand is refused, saying why; nothing is lost.
        _type(page, 'input[name="a.full_name"]', "Nguyễn Thị Hồng Nhung")
        _type(page, 'input[name="a.birth_date"]', "31/02/1985")
        _next(page)
        assert "Ngày sinh: ngày 31/02/1985 không có thật" in page.inner_text("#dossier-form")
        assert page.input_value('input[name="a.full_name"]') == "Nguyễn Thị Hồng Nhung"
        assert page.input_value('input[name="a.birth_date"]') == "31/02/1985"
        # The card on the scanner fills what it holds.
        page.locator("#scan").tap()
        page.keyboard.type(SCAN + "\n")
        page.locator("#scan-result", has_text="kiểm tra lại địa chỉ").wait_for()
        assert page.input_value('input[name="a.birth_date"]') == "12/03/1985"
        assert page.input_value('select[name="a.gender"]') == "Nữ"
        _fits(page, "card", fit)
        shot(page, f"50-filing-card-{name}")
        _next(page)
        assert page.input_value('select[name="a.commune_code"]') == "21583"
        assert page.input_value('input[name="a.detail"]') == "Tổ 3"
        _type(page, 'input[name="a.phone"]', "0905123456")
        _fits(page, "contact", fit)
        _next(page)
        _type(page, 'input[name="f.noi_sinh"]', "Gia Lai")
        _type(page, 'input[name="f.dan_toc"]', "Jrai")
        _type(page, 'input[name="f.quoc_tich"]', "Việt Nam")
        _fits(page, "form 1", fit)
        _next(page)
        # "Nơi thường trú" is the card's address, filled by the scan.
        assert page.input_value('select[name="f.noi_thuong_tru.province"]') == "52"
        assert page.input_value('select[name="f.noi_thuong_tru.commune_code"]') == "21583"
        _fits(page, "form 2", fit)
        # Back twice and forward again: every value is still there.
        _back(page)
        assert page.input_value('input[name="f.dan_toc"]') == "Jrai"
        _back(page)
        assert page.input_value('input[name="a.phone"]') == "0905123456"
        _next(page)
        _next(page)
        _next(page)
        page.select_option('select[name="f.loai_phieu"]', "Phiếu số 1")
        _type(page, 'input[name="f.so_luong_phieu"]', "1")
        page.select_option('select[name="f.xac_nhan_cam_dam_nhiem"]', "Không")
        _fits(page, "form 3", fit)
        _next(page)
        _type(page, 'textarea[name="f.muc_dich"]', "Bổ sung hồ sơ xin việc")
        _fits(page, "form 4", fit)
        _next(page)
        for i, path in ((0, pdf), (1, photo)):
            item = page.locator(f'li.doc[data-doc="{i}"]')
            item.locator("input[type=file]").first.set_input_files(str(path))
            item.locator(".upload-status", has_text="Đã tải lên.").wait_for()
        _fits(page, "papers", fit)
        _next(page)
        assert page.inner_text(".progress-count") == "Bước 8/8"
        answers = page.inner_text('[data-testid="answers"]')
        for value in (
            "Nguyễn Thị Hồng Nhung", "064185001234", "12/03/1985", "Nữ", "0905123456",
            "Tổ 3, Phường Quy Nhơn, Gia Lai", "Jrai", "Việt Nam", "Phiếu số 1", "Không",
            "Bổ sung hồ sơ xin việc",
        ):  # fmt: skip
            assert value in answers, (value, answers)
        papers = page.locator(".paper-answer")
        assert papers.count() == 2
        assert "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp" in papers.nth(0).inner_text()
        assert "to-khai.pdf" in papers.nth(0).inner_text()
        assert papers.locator("img.thumb").count() == 2
        loaded = "[...document.querySelectorAll('.paper-answer img.thumb')]"
        assert page.evaluate(loaded + ".every(i => i.naturalWidth > 0)")
        # Nothing wider than the screen, however long a label (the one on forbidden offices).
        found = page.evaluate(MEASURE, TARGETS)
        assert found["scroll"] <= found["vw"] and not found["wide"], found
        shot(page, f"51-filing-review-{name}")
        audit = audit_axe(page) + audit_fit(page, min_target=64)
        assert audit == [], audit
        # "Sửa" beside "Dân tộc" leads to its step, and straight back to the answers.
        page.locator(".answer", has_text="Dân tộc").locator("a.change").tap()
        page.wait_for_url("**step=3&review=1")
        page.locator('input[name="f.dan_toc"]').fill("Kinh")
        with page.expect_navigation():
            page.get_by_role("button", name="Lưu và quay lại trang kiểm tra").tap()
        assert "Kinh" in page.inner_text('[data-testid="answers"]')
        with page.expect_navigation():
            page.get_by_role("button", name="Nộp hồ sơ").tap()
        page.wait_for_url("**/kiosk/file/done/*")
        code = page.inner_text(".dossier-code").strip()
        _fits(page, "receipt", fit)
        assert fit == {}
        if name == "portrait":
            _phone_pages(browser, server, code)
    finally:
        ctx.close()


@pytest.mark.parametrize(("width", "height"), [(1080, 1920), (1920, 1080)])
def test_the_home_screen_shows_every_tile_without_scrolling(
    browser: Any, server: str, width: int, height: int
) -> None:
    ctx = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    try:
        page = ctx.new_page()
        page.goto(server + "/kiosk/")
        got = page.evaluate(
            "() => ({sh: document.documentElement.scrollHeight, vh: innerHeight,"
            " last: Math.max(...[...document.querySelectorAll('.tile')]"
            ".map(t => t.getBoundingClientRect().bottom))})"
        )
        assert got["last"] <= got["vh"] and got["sh"] <= got["vh"], got
        assert page.locator(".tile").count() == 8
    finally:
        ctx.close()


def _phone_pages(browser: Any, server: str, code: str) -> None:
    """The receipt's QR code on a 360×740 phone: the code's page, then the status (no rating
    offered before a result), and a procedure's page from its QR code; each fits with 44 px
    targets and passes axe-core."""
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    try:
        page = ctx.new_page()
        problems: list[str] = []
        page.goto(f"{server}/d/{code}")
        problems += audit_fit(page, min_target=44) + audit_axe(page)
        page.locator("#verify").tap()
        page.keyboard.type("1234")
        with page.expect_navigation():
            page.get_by_role("button", name="Xem tình trạng").tap()
        assert page.get_by_text("Mới đăng ký").count() >= 1
        assert page.get_by_role("button", name="Gửi đánh giá").count() == 0
        assert "mang theo giấy tiếp nhận" in page.inner_text('[data-testid="next-step"]')
        problems += audit_fit(page, min_target=44) + audit_axe(page)
        shot(page, "52-phone-status")
        page.goto(f"{server}/kiosk/procedures/{LLTP}")
        problems += audit_fit(page, min_target=44) + audit_axe(page)
        assert problems == [], problems
    finally:
        ctx.close()


@pytest.fixture
def kiosk(browser: Any, server: str) -> Any:
    ctx = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto(server + "/kiosk/reset")
    yield page
    ctx.close()


def test_large_text_and_the_language_keep_what_was_typed(kiosk: Any, server: str) -> None:
    page = kiosk
    page.goto(f"{server}/kiosk/file/{LLTP}")
    page.locator("#scan").tap()
    page.keyboard.type(SCAN + "\n")
    page.locator("#scan-result").wait_for()
    name = 'input[name="a.full_name"]'
    page.fill(name, "")
    _type(page, name, "Lê Văn Tám")
    with page.expect_navigation():
        page.get_by_role("button", name="Chữ to").tap()
    assert page.evaluate("document.documentElement.classList.contains('easy-read')")
    assert page.input_value(name) == "Lê Văn Tám"
    _next(page)
    phone = 'input[name="a.phone"]'
    _type(page, phone, "0905123456")
    with page.expect_navigation():
        page.locator(".lang-btn", has_text="English").tap()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.input_value(phone) == "0905123456"
    # Large text off again: still there; a later visit of the screen starts from the draft.
    with page.expect_navigation():
        page.locator(".easy-read-btn").last.tap()
    assert page.input_value(phone) == "0905123456"
    page.goto(f"{server}/kiosk/file/{LLTP}?step=2")
    assert page.input_value(phone) == ""


def test_a_change_from_the_check_page_goes_straight_back_to_it(
    kiosk: Any, server: str, tmp_path: Path
) -> None:
    from tests.builders import sample_image, sample_pdf

    page = kiosk
    pdf, photo = tmp_path / "to-khai.pdf", tmp_path / "cccd.jpg"
    pdf.write_bytes(sample_pdf(0.1))
    photo.write_bytes(sample_image())
    page.goto(f"{server}/kiosk/file/{LLTP}")
    page.locator("#scan").tap()
    page.keyboard.type(SCAN + "\n")
    page.locator("#scan-result").wait_for()
    _file_in_steps(page, pdf, photo)
    review = page.url
    # "Sửa" the phone: its step says where it goes, and goes there at once.
    with page.expect_navigation():
        page.get_by_role("link", name="Sửa Số điện thoại").tap()
    assert page.get_by_role("button", name="Tiếp tục").count() == 0
    page.fill('input[name="a.phone"]', "0912345678")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu và quay lại trang kiểm tra").tap()
    page.get_by_text("Kiểm tra lại trước khi nộp").first.wait_for()
    assert page.url.split("?")[1] == review.split("?")[1]
    assert "0912345678" in page.locator("[data-testid=answers]").inner_text()
    # A change that is wrong stays on its step, with its message, still on its way back.
    with page.expect_navigation():
        page.get_by_role("link", name="Sửa Số điện thoại").tap()
    page.fill('input[name="a.phone"]', "12")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu và quay lại trang kiểm tra").tap()
    assert page.locator(".field-error").count() >= 1
    page.fill('input[name="a.phone"]', "0905123456")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu và quay lại trang kiểm tra").tap()
    page.get_by_text("Kiểm tra lại trước khi nộp").first.wait_for()
    assert "0905123456" in page.locator("[data-testid=answers]").inner_text()


def test_a_procedures_page_offers_filing_online_and_goes_back_to_the_same_search(
    kiosk: Any, server: str
) -> None:
    page = kiosk
    page.goto(f"{server}/kiosk/search")
    page.locator("#osk").wait_for()
    type_by_tapping(page, "lý lịch")
    page.locator(f'#results a[href*="/kiosk/procedures/{LLTP}"]').wait_for()
    page.locator('#osk [data-skbtn="{done}"]').tap()
    with page.expect_navigation():
        page.locator(f'#results a[href*="/kiosk/procedures/{LLTP}"]').tap()
    online = page.get_by_role("link", name="Nộp hồ sơ trực tuyến")
    assert online.is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="← Tra cứu").tap()
    assert page.input_value("#q") == "lý lịch"
    with page.expect_navigation():
        page.locator(f'#results a[href*="/kiosk/procedures/{LLTP}"]').tap()
    with page.expect_navigation():
        page.get_by_role("link", name="Nộp hồ sơ trực tuyến").tap()
    assert page.url.endswith(f"/kiosk/file/{LLTP}")
    page.locator("#scan").wait_for()
    # A procedure filed only at the counter offers the ticket alone.
    page.goto(f"{server}/kiosk/procedures/3.000346")
    assert page.get_by_role("link", name="Nộp hồ sơ trực tuyến").count() == 0
    assert page.get_by_role("button", name="Lấy số thứ tự cho thủ tục này").is_visible()


def test_a_phone_shows_the_transfer_to_copy_under_its_vietqr(browser: Any, server: str) -> None:
    from tests.builders import file_online_over_http

    code = file_online_over_http(server)
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    try:
        page = ctx.new_page()
        page.goto(f"{server}/d/{code}")
        # The site's name is no link to the kiosk's home on a phone.
        assert page.locator("header a.brand").count() == 0
        page.locator("#verify").tap()
        page.keyboard.type("4321")
        with page.expect_navigation():
            page.get_by_role("button", name="Xem tình trạng").tap()
        transfer = page.locator('[data-testid="transfer"]')
        shown = transfer.inner_text()
        for said in ("Ngân hàng", "Số tài khoản", "Tên tài khoản", "Số tiền", "200000",
                     "Nội dung chuyển khoản"):  # fmt: skip
            assert said in shown, said
        reference = page.locator("[data-copy]").last.get_attribute("data-copy") or ""
        assert reference.startswith("HS")
        problems = audit_fit(page, min_target=44) + audit_axe(page)
        assert problems == [], problems
        page.get_by_role("button", name="Chép Nội dung chuyển khoản").tap()
        page.locator(".copy-done", has_text="Đã chép").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == reference
        shot(page, "53-phone-transfer")
        page.goto(f"{server}/t/KHONG-CO")
        assert page.locator("header a.brand").count() == 0
    finally:
        ctx.close()


def test_a_papers_missing_message_goes_once_it_is_uploaded(
    kiosk: Any, server: str, tmp_path: Path
) -> None:
    from tests.builders import sample_pdf

    page = kiosk
    pdf = tmp_path / "to-khai.pdf"
    pdf.write_bytes(sample_pdf(0.1))
    page.goto(f"{server}/kiosk/file/{LLTP}?step=7")
    page.get_by_text("Giấy tờ").first.wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="Tiếp tục").tap()
    item = page.locator('li.doc[data-doc="0"]')
    item.locator(".field-error", has_text="Thiếu giấy tờ bắt buộc này.").wait_for()
    item.locator("input[type=file]").first.set_input_files(str(pdf))
    item.locator(".upload-status", has_text="Đã tải lên.").wait_for()
    assert item.locator(".field-error").count() == 0
    assert "has-error" not in (item.get_attribute("class") or "")
    # The other paper, still missing, keeps its message.
    assert page.locator('li.doc[data-doc="1"] .field-error').count() == 1
