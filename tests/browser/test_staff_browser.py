"""Real Chromium through a new bank agent's day and a new counter officer's (issue 19), with
axe-core and the page-fit checks on every page they meet, at the staff's screen sizes
(1280x720 and 1366x768): no serious or critical axe violation, nothing wider than the screen,
no clipped text. Touch-target sizes are the kiosk's rule, not the desk's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.steps import (
    _fill_judicial_record,
    _pick_address,
    _printed_since,
    _upload,
    shot,
)
from tests.page_audit import audit_axe, audit_fit

pytestmark = pytest.mark.browser
SIZES = ((1280, 720), (1366, 768))
SCAN = (
    "064185001234|123456789|Nguyễn Thị Hồng Nhung|12031985|Nữ|Tổ 3, Phường Quy Nhơn, Gia Lai"
    "|01012022"
)


def audited(page: Any, problems: list[str]) -> None:
    """The loaded page checked at both staff sizes; what is wrong is added to `problems`."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(50)
        found = audit_axe(page) + audit_fit(page, min_target=0)
        problems += [f"{width}x{height} {line}" for line in found]
    page.set_viewport_size({"width": 1366, "height": 768})


def scan_card(page: Any) -> None:
    """The scanner types the card's QR code and Enter, once the page's scripts are running
    (htmx sends the scan; a scan before they run would be lost)."""
    page.wait_for_function("() => window.htmx && document.readyState === 'complete'")
    page.locator("#scan").click()
    page.keyboard.type(SCAN + "\n")
    page.locator("#scan-result").wait_for()


def filed(page: Any, url: str) -> None:
    """The form was accepted and the browser went on to `url`; if the form came back instead,
    the failure says what it asked for."""
    try:
        page.wait_for_url(url)
    except Exception as exc:  # noqa: BLE001  (the Playwright timeout, said plainly)
        asked = page.locator('[role="alert"]').all_inner_texts()
        pytest.fail(f"the form was not accepted ({page.url}): {asked or exc}")


def sign_in_from(page: Any, base: str, home: str, name: str, password: str) -> None:
    """From a surface's home: the sign-in link, the form, and back where the link pointed."""
    page.goto(base + home)
    page.locator('[data-testid="agent-sign-in"] a').click()
    # Titled for who signs in here: bank agents are not officers.
    assert page.inner_text('[data-testid="sign-in-title"]') == "Đăng nhập đại lý dịch vụ công"
    assert page.title().startswith("Đăng nhập đại lý dịch vụ công")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_a_new_agents_day_sign_in_scan_authorization_reduced_fee_cash_result_hand_back(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    instance: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    from tests.builders import sample_image, sample_pdf

    pdf, photo, signed, result, proof = (
        tmp_path / n for n in ("a.pdf", "b.jpg", "c.pdf", "kq.pdf", "proof.pdf")
    )
    proof.write_bytes(sample_pdf())
    pdf.write_bytes(sample_pdf(0.3))
    photo.write_bytes(sample_image())
    signed.write_bytes(sample_pdf())
    result.write_bytes(sample_pdf())
    prints = instance / "prints"
    before = {p.name for p in prints.glob("*.bin")} if prints.exists() else set()
    problems: list[str] = []
    agent_ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    office_ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        agent = agent_ctx.new_page()
        agent.set_default_timeout(15_000)
        agent.goto(server + "/agent/")
        audited(agent, problems)
        sign_in_from(agent, server, "/agent/", "daily", "daily-demo-2026")
        agent.wait_for_url("**/agent/dossiers")
        audited(agent, problems)
        agent.goto(server + "/agent/?q=ly+lich+tu+phap")
        agent.get_by_text("Cấp phiếu lý lịch tư pháp").first.click()
        agent.wait_for_url("**/agent/file/3.000333")
        # The card on the desk, scanned: the applicant's fields are filled.
        scan_card(agent)
        assert agent.input_value('input[name="a.cccd"]') == "064185001234"
        agent.fill('input[name="a.phone"]', "0905123456")
        # The card's address, matched: Gia Lai and Phường Quy Nhơn are already chosen.
        assert agent.input_value('select[name="a.commune_code"]') == "21583"
        with agent.context.expect_event("page") as opened:
            agent.get_by_role("button", name="In giấy ủy quyền (A4, PDF)").click()
        opened.value.close()
        _upload(agent, "consent", signed)
        _fill_judicial_record(agent, pdf, photo)
        agent.locator('input[name="fee_rule"][value="1"]').check()
        # The reduced fee without its proof: refused in Vietnamese beside the proof's slot,
        # nothing typed lost; then the proof uploaded like any paper.
        agent.get_by_role("button", name="Nộp hồ sơ và in giấy tiếp nhận").click()
        proof_slot = agent.locator('[data-testid="fee-proof"]')
        proof_slot.locator('[role="alert"]', has_text="cần giấy tờ chứng minh").wait_for()
        assert agent.input_value('input[name="a.cccd"]') == "064185001234"
        assert agent.is_checked('input[name="fee_rule"][value="1"]')
        proof_slot.locator("input[type=file]").first.set_input_files(str(proof))
        proof_slot.locator(".upload-status", has_text="Đã tải lên.").wait_for()
        audited(agent, problems)
        shot(agent, "60-agent-form-scanned-reduced-fee")
        agent.get_by_role("button", name="Nộp hồ sơ và in giấy tiếp nhận").click()
        filed(agent, "**/agent/dossiers/*")
        code = agent.inner_text('[data-testid="dossier-code"]')
        _printed_since(instance, before, f"{server}/d/{code}")
        assert "100.000" in agent.inner_text('[data-testid="fee-owed"]')
        why = "Mức phí giảm: Sinh viên, người có công với cách mạng, thân nhân liệt sĩ"
        assert why in agent.inner_text('[data-testid="fee-reason"]')
        assert "Giấy tờ chứng minh được giảm phí" in agent.inner_text('[data-testid="papers"]')
        agent.get_by_role("button", name="Thu tiền mặt và in biên nhận").click()
        agent.locator('[data-testid="fee-paid"]').wait_for()
        audited(agent, problems)
        agent.locator("#fee table").scroll_into_view_if_needed()
        shot(agent, "61-agent-dossier-paid")
        heights = agent.eval_on_selector_all(
            "#fee table th, #fee table td:not(:has(form))",
            "cells => cells.map(c => { const r = document.createRange();"
            " r.selectNodeContents(c); return r.getBoundingClientRect().height; })",
        )
        assert max(heights) < 32, heights  # one line each: no word (or letter) per line

        # The reduced fee's reason on the citizen's own page too.
        citizen = agent_ctx.new_page()
        citizen.goto(f"{server}/d/{code}")
        citizen.fill("input[name=verify]", "1234")
        citizen.locator("input[name=verify]").press("Enter")
        assert why in citizen.inner_text('[data-testid="fee-reason"]')
        citizen.close()
        # The receipt's address opened by hand (it only prints on a button's POST): a
        # Vietnamese page with the way back to the dossier.
        r = agent.goto(f"{server}/agent/dossiers/{code}/receipt")
        assert r is not None and r.status == 405
        assert "Không mở trực tiếp được" in agent.inner_text("h1")
        audited(agent, problems)
        agent.locator('[data-testid="error-back"]').click()
        agent.wait_for_url(f"**/agent/dossiers/{code}")

        # The center: the counter officer receives it (the reception's decision is theirs),
        # then is told who goes on; the processing officer processes it.
        office = office_ctx.new_page()
        office.set_default_timeout(15_000)
        office.goto(server + "/office/login?next=/office/dossiers/" + code)
        office.fill("input[name=username]", "canbo")
        office.fill("input[name=password]", "canbo-demo-2026")
        office.click("button[type=submit]")
        office.wait_for_url(f"**/office/dossiers/{code}")
        assert why in office.inner_text('[data-testid="fee"]')
        office.get_by_role("button", name="Tiếp nhận", exact=True).click()
        office.locator('[data-testid="whose-move"]').wait_for()
        assert "cán bộ xử lý hồ sơ" in office.inner_text('[data-testid="whose-move"]')
        audited(office, problems)
        office.context.clear_cookies()
        office.goto(server + "/office/login?next=/office/dossiers/" + code)
        office.fill("input[name=username]", "xuly")
        office.fill("input[name=password]", "xuly-demo-2026")
        office.click("button[type=submit]")
        office.wait_for_url(f"**/office/dossiers/{code}")
        # Not late: no apology offered.
        assert office.get_by_text("mẫu 04").count() == 0
        office.get_by_role("button", name="Chuyển xử lý", exact=True).click()
        office.wait_for_load_state()
        office.locator("input.file-pick").set_input_files(str(result))
        office.get_by_role("button", name="Ghi nhận có kết quả").click()
        office.locator('[data-testid="hand-back-place"]').wait_for()
        assert "BIDV" in office.inner_text('[data-testid="hand-back-place"]')

        # Back at the branch: the worklist says the result is ready; open it, hand it back.
        agent.goto(server + "/agent/dossiers")
        audited(agent, problems)
        agent.get_by_role("link", name="Mở, trả kết quả").first.click()
        with agent.context.expect_event("page") as opened:
            agent.locator('[data-testid="open-result"]').click()
        opened.value.close()
        # Nothing typed for the ID: the server's Vietnamese message beside the field, no
        # browser popup (in the browser's language).
        agent.get_by_role("button", name="Trả kết quả").click()
        agent.locator('[data-testid="hand-back-error"]', has_text="Ghi số giấy tờ").wait_for()
        audited(agent, problems)
        agent.fill('input[name="id_checked"]', "064185001234")
        agent.get_by_role("button", name="Trả kết quả").click()
        agent.get_by_text("Người nhận: Nguyễn Thị Hồng Nhung").wait_for()
        assert agent.inner_text('[data-testid="dossier-status"]') == "Đã trả kết quả"
        shot(agent, "62-agent-handed-back")
        # Another branch's code: the staff's own not-found page.
        r = agent.goto(server + "/agent/dossiers/000.00.01.H29-991231-0001")
        assert r is not None and r.status == 404
        audited(agent, problems)
    finally:
        agent_ctx.close()
        office_ctx.close()
    assert problems == [], "\n".join(problems)


def test_a_new_officers_day_call_receive_back_find_move_resolve_hand_back(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    from tests.builders import sample_pdf

    result = tmp_path / "kq.pdf"
    result.write_bytes(sample_pdf())
    problems: list[str] = []
    kiosk_ctx = browser.new_context(viewport={"width": 1080, "height": 1920})
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        kiosk = kiosk_ctx.new_page()
        kiosk.goto(server + "/kiosk/queue")
        kiosk.locator('button[value="HOTICH"]').click()
        kiosk.wait_for_selector('[data-testid="ticket-number"]')
        number = kiosk.inner_text('[data-testid="ticket-number"]')
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.goto(server + "/office/counters/1")
        page.fill("input[name=username]", "canbo")
        page.fill("input[name=password]", "canbo-demo-2026")
        page.click("button[type=submit]")
        page.wait_for_selector("#panel")
        counter_url = page.url
        for _ in range(20):  # the other test's tickets may be waiting before ours
            if page.inner_text('[data-testid="current-number"]') == number:
                break
            page.keyboard.press("n")
            page.wait_for_timeout(400)
        assert page.inner_text('[data-testid="current-number"]') == number
        audited(page, problems)
        page.locator('[data-testid="receive-dossier"]').click()
        page.fill("input[type=search][name=q]", "ly lich tu phap")
        page.keyboard.press("Enter")
        page.get_by_text("Cấp phiếu lý lịch tư pháp").first.click()
        page.locator('[data-testid="ticket-number"]', has_text=number).wait_for()
        scan_card(page)
        page.fill('input[name="f.noi_sinh"]', "Gia Lai")
        page.fill('input[name="f.dan_toc"]', "Kinh")
        page.fill('input[name="f.quoc_tich"]', "Việt Nam")
        page.select_option('select[name="f.loai_phieu"]', "Phiếu số 1")
        page.fill('input[name="f.so_luong_phieu"]', "1")
        page.select_option('select[name="f.xac_nhan_cam_dam_nhiem"]', "Không")
        page.fill('textarea[name="f.muc_dich"]', "Xin việc")
        _pick_address(page, "f.noi_thuong_tru")
        for box in page.locator("label.paper input[type=checkbox]").all():
            box.check()
        audited(page, problems)
        page.get_by_role("button", name="Tiếp nhận và in giấy hẹn").click()
        page.wait_for_url("**/office/dossiers/*")
        code = page.inner_text('[data-testid="dossier-code"]')
        assert page.locator('[data-testid="on-paper"] li').count() >= 2
        audited(page, problems)
        shot(page, "70-officer-received")
        # Back to the counter, where the citizen still is.
        page.locator('[data-testid="back-to-counter"]').click()
        assert page.url == counter_url
        # Later: found by the citizen's name.
        page.goto(server + "/office/dossiers")
        page.fill("input[name=q]", "Hồng Nhung")
        page.keyboard.press("Enter")
        page.get_by_role("link", name=code).click()
        page.wait_for_url(f"**/office/dossiers/{code}")
        # The processing officer moves and resolves it.
        proc_ctx = browser.new_context(viewport={"width": 1366, "height": 768})
        try:
            proc = proc_ctx.new_page()
            proc.set_default_timeout(15_000)
            proc.goto(server + "/office/login?next=/office/dossiers/" + code)
            proc.fill("input[name=username]", "xuly")
            proc.fill("input[name=password]", "xuly-demo-2026")
            proc.click("button[type=submit]")
            proc.wait_for_url(f"**/office/dossiers/{code}")
            audited(proc, problems)
            assert proc.locator("textarea[name=reason]").count() <= 1
            proc.get_by_role("button", name="Chuyển xử lý", exact=True).click()
            proc.wait_for_load_state()
            proc.locator("input.file-pick").set_input_files(str(result))
            proc.get_by_role("button", name="Ghi nhận có kết quả").click()
            proc.locator('[data-testid="hand-back-place"]').wait_for()
            audited(proc, problems)
        finally:
            proc_ctx.close()
        # The fee first: the hand-back card says it is owed and leads to the cash form.
        page.reload()
        owed = page.locator('[data-testid="hand-back-fee"]')
        assert "200.000 đ: thu phí trước khi trả kết quả" in owed.inner_text()
        owed.get_by_role("link", name="Thu phí").click()
        page.get_by_role("button", name="Ghi nhận tiền mặt").click()
        page.locator('[data-testid="fee"]', has_text="đã nộp đủ").wait_for()
        assert page.locator('[data-testid="hand-back-fee"]').count() == 0
        # Handed back at the counter, with the receiver and the ID checked.
        page.fill('input[name="id_checked"]', "064185001234")
        page.get_by_role("button", name="Trả kết quả").click()
        page.get_by_text("Người nhận: Nguyễn Thị Hồng Nhung").wait_for()
        audited(page, problems)
        shot(page, "71-officer-handed-back")
    finally:
        ctx.close()
        kiosk_ctx.close()
    assert problems == [], "\n".join(problems)
