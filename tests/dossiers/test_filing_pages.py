"""Filing at the kiosk (Nộp hồ sơ) and looking a dossier up (Tra cứu hồ sơ, /d/<code>), through
the real pages: the CCCD scan, uploads owned by the kiosk session, the form's errors next to
their fields with nothing typed lost, review, one dossier per double tap, the receipt job."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain.dossiers import workdays
from kiosk.domain.printing import render as render_job
from kiosk.models import Dossier, PrintJob
from printers.reader import read_escpos
from tests.builders import (
    LLTP,
    SCAN,
    csrf,
    form_data,
    give_result,
    kupload,
    sample_image,
    sample_pdf,
)


def text(r: Any) -> str:
    return str(r.get_data(as_text=True))


@pytest.fixture
def kiosk(demo_app: Flask) -> FlaskClient:
    s = demo_app.extensions["kiosk.sessionmaker"]()
    workdays.seed_calendar(s, [2026, 2027])
    s.close()
    return demo_app.test_client()


def test_the_home_screen_offers_filing_and_status(kiosk: FlaskClient) -> None:
    page = text(kiosk.get("/kiosk/"))
    assert "Nộp hồ sơ" in page and "Tra cứu hồ sơ" in page
    pick = text(kiosk.get("/kiosk/file"))
    assert "Cấp phiếu lý lịch tư pháp" in pick and "Đăng ký khai sinh" in pick
    assert "Đăng ký khai sinh" in text(kiosk.get("/kiosk/file?q=khai+sinh"))
    # A procedure that cannot be filed online is not offered.
    assert kiosk.get("/kiosk/file/2.000815").status_code == 404
    # English is the second language, states and genders included.
    kiosk.get("/lang/en")
    english = text(kiosk.get(f"/kiosk/file/{LLTP}"))
    assert "Step 1/" in english and ">Female<" in english


def test_a_scan_fills_the_applicant_and_a_garbage_scan_fills_nothing(kiosk: FlaskClient) -> None:
    token = csrf(kiosk, f"/kiosk/file/{LLTP}")
    page = text(kiosk.post(f"/kiosk/file/{LLTP}/scan", data={"csrf_token": token, "scan": SCAN}))
    assert 'value="064185001234"' in page and 'value="12/03/1985"' in page
    assert "Đã đọc thẻ căn cước của Nguyễn Thị Hồng Nhung" in page
    assert "kiểm tra lại địa chỉ" in page
    # The card's address, matched to its province and commune, in the contact address and in
    # the form's "Nơi thường trú" (a later step), kept in the draft.
    contact = text(kiosk.get(f"/kiosk/file/{LLTP}?step=2"))
    assert '<option value="21583" selected>Phường Quy Nhơn</option>' in contact
    assert 'name="a.detail" maxlength="255" value="Tổ 3"' in contact
    later = text(kiosk.get(f"/kiosk/file/{LLTP}?step=4"))
    assert 'name="f.noi_thuong_tru.commune_code"' in later
    assert '<option value="21583" selected>Phường Quy Nhơn</option>' in later
    assert 'name="f.noi_thuong_tru.detail" maxlength="255" value="Tổ 3"' in later
    garbage = {"csrf_token": token, "scan": "http://evil.example/<script>",
               "a.full_name": "Trần Bình"}  # fmt: skip
    bad = text(kiosk.post(f"/kiosk/file/{LLTP}/scan", data=garbage))
    assert "Không đọc được mã trên thẻ" in bad and "Chưa điền gì" in bad
    # What the card's step typed stays (and only that: the number was not typed again).
    assert 'value="064185001234"' not in bad and 'value="Trần Bình"' in bad
    assert "<script>" not in bad


def _items(block: str, tag: str) -> list[str]:
    """The text of each `<tag>` in an HTML block."""
    return [html.unescape(t) for t in re.findall(rf"<{tag}>(.*?)</{tag}>", block, re.S)]


def test_filing_at_the_kiosk_end_to_end(kiosk: FlaskClient, demo_app: Flask) -> None:
    token = csrf(kiosk, f"/kiosk/file/{LLTP}")
    r = kupload(kiosk, sample_pdf(), token)
    assert r.status_code == 201
    first = r.get_json()
    ids = [first["id"], kupload(kiosk, sample_image(), token).get_json()["id"]]
    thumb = kiosk.get(first["thumb"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    # Another kiosk session cannot see it.
    assert demo_app.test_client().get(first["thumb"]).status_code == 404

    # Fields missing: refused next to each field, and everything typed is still there.
    wrong = form_data(token, ids, **{"f.loai_phieu": "", "a.cccd": "064085001234", "doc.1": ""})
    r = kiosk.post(f"/kiosk/file/{LLTP}", data={**wrong, "step": "review"})
    assert r.status_code == 422
    page = text(r)
    assert "Nhập loại phiếu yêu cầu." in page
    assert "Số thứ 4 của số căn cước không khớp" in page
    assert "Thiếu giấy tờ bắt buộc này." in page
    assert ">Xin việc</textarea>" in page and f'value="{ids[0]}"' in page

    good = form_data(token, ids)
    review = text(kiosk.post(f"/kiosk/file/{LLTP}", data={**good, "step": "review"}))
    assert "Kiểm tra lại trước khi nộp" in review and "Phiếu số 1" in review
    # The fee before filing (a tester found none): the amount as elsewhere, the reduced rule
    # and how to pay, each marked to be read aloud.
    fee = review[review.index('data-testid="fee-check"') :]
    fee = fee[: fee.index("</section>")]
    assert "<strong>200.000 đ</strong>" in fee and "VietQR" in fee and "tiền mặt tại quầy" in fee
    assert 'data-speak="Phí, lệ phí: Hai trăm nghìn đồng"' in fee
    assert "<strong>100.000 đ</strong> Sinh viên, người có công" in fee
    # Submitted twice (a double tap): one dossier.
    for _ in range(2):
        r = kiosk.post(f"/kiosk/file/{LLTP}", data={**good, "step": "submit"})
        assert r.status_code == 303
    done = kiosk.get(r.headers["Location"])
    page = text(done)
    code = re.search(r'class="dossier-code">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in page
    # The screen says what the paper and the status page say: "Nộp lúc", what happens next,
    # and that the QR code needs the last 4 digits.
    assert "Nộp lúc" in page and "Tiếp theo" in page and "4 số cuối" in page
    s: Session = demo_app.extensions["kiosk.sessionmaker"]()
    try:
        assert s.scalar(select(func.count()).select_from(Dossier)) == 1
        job = s.scalar(select(PrintJob).where(PrintJob.kind == "receipt"))
        assert job is not None and code in job.title
        back = read_escpos(render_job(job))
        assert back.qr_payloads == [f"http://kiosk.test/d/{code}"]
        # What happens next: the paper's words are the screen's, and the status page's.
        printed = json.loads(job.layout)["data"]["next_steps"]
    finally:
        s.close()
    said = _items(page.split('data-testid="next-steps"')[1].split("</ol>")[0], "li")
    assert printed and said[: len(printed)] == printed and "4 số cuối" in said[-1]
    assert "Cán bộ kiểm tra và tiếp nhận hồ sơ" in printed[0] and "(dự kiến)" in printed[-1]
    token = csrf(kiosk, f"/d/{code}")
    status = text(kiosk.post(f"/d/{code}", data={"csrf_token": token, "verify": "1234"}))
    block = status.split('data-testid="next-step"')[1].split("</div>")[0]
    assert _items(block, "p") == printed
    # Another browser cannot open this receipt screen.
    assert demo_app.test_client().get(r.headers["Location"]).status_code == 404


def test_the_status_page_needs_the_second_fact_and_tells_nothing_else(
    kiosk: FlaskClient, demo_app: Flask
) -> None:
    token = csrf(kiosk, f"/kiosk/file/{LLTP}")
    ids = [kupload(kiosk, sample_pdf(), token).get_json()["id"] for _ in range(2)]
    r = kiosk.post(f"/kiosk/file/{LLTP}", data={**form_data(token, ids), "step": "submit"})
    code = r.headers["Location"].rsplit("/", 1)[-1]
    phone = demo_app.test_client()
    form = text(phone.get(f"/d/{code}"))
    assert "4 số cuối" in form and "Nguyễn" not in form
    ptoken = csrf(phone, f"/d/{code}")
    wrong_fact = phone.post(f"/d/{code}", data={"csrf_token": ptoken, "verify": "9999"})
    wrong_code = phone.post("/d/000.00.01.H29-200101-0009", data={"csrf_token": ptoken,
                                                                   "verify": "1234"})  # fmt: skip
    assert wrong_fact.status_code == wrong_code.status_code == 404
    msg = "Không tìm thấy hồ sơ với mã và số xác minh này."
    assert msg in text(wrong_fact) and msg in text(wrong_code)
    ok = phone.post(f"/d/{code}", data={"csrf_token": ptoken, "verify": "1234"})
    page = text(ok)
    assert ok.status_code == 200 and "Mới đăng ký" in page and "Quá trình xử lý" in page
    # No rating asked for a dossier filed a minute ago; what happens next is said.
    assert "Gửi đánh giá" not in page
    assert "Ông/bà sẽ được mời đánh giá khi hồ sơ có kết quả." in page
    assert "mang theo giấy tiếp nhận và thẻ căn cước" in page
    # A rating before there is a result is refused with the reason; nothing is kept.
    early = phone.post(f"/d/{code}/rating", data={"csrf_token": ptoken, "score": "4"})
    assert early.status_code == 409 and "Hồ sơ chưa có kết quả" in text(early)
    assert "Ông/bà đã đánh giá" not in text(phone.get(f"/d/{code}"))
    # Once it has a result: rated from the status page, kept once.
    give_result(demo_app, code)
    assert "Gửi đánh giá" in text(phone.get(f"/d/{code}"))
    r = phone.post(f"/d/{code}/rating", data={"csrf_token": ptoken, "score": "4",
                                              "reasons": ["huong_dan", "thoi_gian"]})  # fmt: skip
    assert r.status_code == 302
    assert "Ông/bà đã đánh giá: Hài lòng" in text(phone.get(f"/d/{code}"))
    bad = phone.post(f"/d/{code}/rating", data={"csrf_token": ptoken, "score": "7"})
    assert bad.status_code == 400 and "từ 1 đến 5" in text(bad)
    # Rate limit: the same answer after too many tries, even with the right fact.
    demo_app.config["STATUS_LOOKUPS_PER_MINUTE"] = 3
    other = demo_app.test_client()
    otoken = csrf(other, f"/d/{code}")
    answers = [
        other.post(f"/d/{code}", data={"csrf_token": otoken, "verify": "1234"}).status_code
        for _ in range(2)
    ]
    assert answers[-1] == 404
    again = other.post(f"/d/{code}", data={"csrf_token": otoken, "verify": "1234"})
    assert "quá nhiều lần" in text(again)


def test_the_kiosk_status_screen_reads_a_scanned_receipt(
    kiosk: FlaskClient, demo_app: Flask
) -> None:
    token = csrf(kiosk, f"/kiosk/file/{LLTP}")
    ids = [kupload(kiosk, sample_pdf(), token).get_json()["id"] for _ in range(2)]
    r = kiosk.post(f"/kiosk/file/{LLTP}", data={**form_data(token, ids), "step": "submit"})
    code = r.headers["Location"].rsplit("/", 1)[-1]
    other = demo_app.test_client()
    otoken = csrf(other, "/kiosk/status")
    scanned = f"http://kiosk.test/d/{code}"
    page = text(other.post("/kiosk/status", data={"csrf_token": otoken, "code": scanned,
                                                  "verify": "3456"}))  # fmt: skip
    assert code in page and "Mới đăng ký" in page


def test_the_address_picker_lists_a_provinces_communes(kiosk: FlaskClient) -> None:
    page = text(kiosk.get("/places/options?a.province=52"))
    assert '<option value="21583">Phường Quy Nhơn</option>' in page
    assert text(kiosk.get("/places/options?a.province=%3Cx%3E")).count("<option") == 1


def test_the_kiosk_never_shows_or_attaches_a_citizens_earlier_papers(
    kiosk: FlaskClient, demo_app: Flask
) -> None:
    """The card's number, name and birth date are printed on it and often photocopied: at the
    kiosk, with no one to see the card, they open nothing. Reuse is the counter's
    (tests/test_office_dossiers.py)."""
    from kiosk.models import Upload

    token = csrf(kiosk, f"/kiosk/file/{LLTP}")
    ids = [kupload(kiosk, sample_pdf(), token).get_json()["id"] for _ in range(2)]
    kiosk.post(f"/kiosk/file/{LLTP}", data={**form_data(token, ids), "step": "submit"})
    # Someone else, another day, who knows (or scans a photocopy of) the card.
    again = demo_app.test_client()
    token = csrf(again, f"/kiosk/file/{LLTP}")
    values = form_data(token, ["", ""], idempotency_key="kiosk-test-2")
    page = text(again.post(f"/kiosk/file/{LLTP}/scan", data={**values, "scan": SCAN}))
    assert "Đã đọc thẻ căn cước" in page
    assert "dùng lại bản đã số hóa" not in page and 'name="reuse.' not in page
    # The ids, known some other way, and the consent ticked: refused, nothing filed.
    guessed = {"reuse.0": ids[0], "reuse.1": ids[1], "consent.0": "on", "consent.1": "on"}
    r = again.post(f"/kiosk/file/{LLTP}", data={**values, **guessed, "step": "submit"})
    assert r.status_code == 422
    assert "Chỉ dùng lại giấy tờ đã số hóa tại quầy tiếp nhận" in text(r)
    s: Session = demo_app.extensions["kiosk.sessionmaker"]()
    try:
        assert s.scalar(select(func.count()).select_from(Dossier)) == 1
        assert s.scalar(select(Upload).where(Upload.reused_from_id.is_not(None))) is None
    finally:
        s.close()


def test_behind_a_proxy_each_citizen_has_their_own_limit(db_url: str, tmp_path: Any) -> None:
    from kiosk import create_app

    config = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": db_url,
              "SECRET_KEY": "x", "PROXY_COUNT": 1, "STATUS_LOOKUPS_PER_MINUTE": 2}  # fmt: skip
    app = create_app(config)
    try:
        client = app.test_client()
        token = csrf(client, "/d/000.00.01.H29-261123-0001")

        def ask(ip: str) -> str:
            r = client.post("/d/000.00.01.H29-261123-0001", data={"csrf_token": token,
                            "verify": "1234"}, headers={"X-Forwarded-For": ip})  # fmt: skip
            return text(r)

        assert all("quá nhiều lần" not in ask("10.0.0.1") for _ in range(2))
        assert "quá nhiều lần" in ask("10.0.0.1")
        assert "quá nhiều lần" not in ask("10.0.0.2")  # another citizen behind the same proxy
    finally:
        app.extensions["kiosk.engine"].dispose()
