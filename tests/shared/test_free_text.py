"""Free text people type (names, addresses, notes, form fields) is kept in NFC and refused, with
a message naming the field, when it carries a bidi control or marks stacked beyond Vietnamese's
own (`text.clean_text`, one rule for every entry: the kiosk, the counter, the agent portal, the
API, the CCCD scan); `printers/` draws defensively, so an older record cannot overprint."""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain.citizen_id import CccdError, parse_qr
from kiosk.domain.dossiers import workdays
from kiosk.domain.text import TextRefused, clean_text
from kiosk.models import Dossier, PrintJob
from printers import layouts
from printers.page import Canvas, printable
from tests.builders import (
    LLTP,
    csrf,
    file_lltp,
    form_data,
    kupload,
    sample_image,
    sample_pdf,
    sign_in,
)

NAME = "Nguyễn Thị Hồng Nhung"
#: The same name typed decomposed (a Mac, some keyboards): kept as NFC.
NFD_NAME = unicodedata.normalize("NFD", NAME)
REVERSED = "Nguy\u202eễn Thị Hồng Nhung"  # a right-to-left override: printed "gnuhN gnồH ..."
STACKED = "Nguyễn" + "\u0301" * 20 + " Thị Hồng Nhung"
MARKS = "có dấu chồng lên nhau hoặc dấu không thuộc chữ Việt"
CONTROL = "có ký tự điều khiển hoặc ký tự ẩn"


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    "name",
    [
        NAME,
        "Đặng Thị Ánh Tuyết",
        "H'Hen Niê",  # Ê Đê
        "Ksor H'Bơ Khăp",  # Jrai
        "Y Mơ\u0306 Êban",  # Ê Đê ơ̆: a breve NFC cannot compose on ơ
        "Hoàng Thị Lŏ\u0301",  # a tone on a letter without a precomposed form
        "Müller François",  # precomposed letters of other Latin scripts
    ],
)
def test_names_of_vietnamese_and_its_minorities_are_kept(name: str) -> None:
    assert clean_text(name, "Họ và tên") == unicodedata.normalize("NFC", name)
    assert printable(name) == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (REVERSED, CONTROL),
        ("Nguyễn\u2066Thị", CONTROL),  # an isolate
        ("Nguyễn\u200fThị", CONTROL),  # a right-to-left mark
        ("Nguyễn\u061cThị", CONTROL),  # the Arabic letter mark
        ("Nguyễn\u200bThị", CONTROL),  # a zero-width space
        ("Nguyễn\x07Thị", CONTROL),
        (STACKED, MARKS),
        ("Nguye\u0301\u0301n", MARKS),  # two tones on one letter
        ("Nguyê\u0306\u0301n", MARKS),  # three marks on one letter
        ("\u0301Nguyễn", MARKS),  # a mark on nothing
        ("Nguyễn\u0334", MARKS),  # a mark of no Vietnamese letter
        ("Nguyễn\nThị", "chỉ viết trên một dòng"),
    ],
)
def test_bidi_controls_and_stacked_marks_are_refused_naming_the_field(
    name: str, problem: str
) -> None:
    with pytest.raises(TextRefused, match=f"^Họ và tên: {problem}"):
        clean_text(name, "Họ và tên")
    if problem == CONTROL:  # and the printer, on its own, draws none of them
        assert printable(name) == "".join(c for c in name if unicodedata.category(c)[0] != "C")


def test_a_note_may_span_lines_and_is_kept_in_nfc() -> None:
    assert clean_text(" Chờ xác minh\r\ntừ tỉnh khác ", "Lý do", multiline=True) == (
        "Chờ xác minh\ntừ tỉnh khác"
    )
    with pytest.raises(TextRefused):
        clean_text("Chờ\u202exác minh", "Lý do", multiline=True)


def test_a_cccd_scan_with_a_reversed_or_stacked_name_fills_nothing() -> None:
    good = "064185001234|123456789|{}|12031985|Nữ|Tổ 3, Gia Lai"
    assert parse_qr(good.format(NFD_NAME)).full_name == NAME
    for bad in (REVERSED, STACKED):
        with pytest.raises(CccdError, match="Họ tên trên mã QR"):
            parse_qr(good.format(bad))
    with pytest.raises(CccdError, match="Địa chỉ trên mã QR"):
        parse_qr("064185001234|123456789|A|12031985|Nữ|Tổ 3\u202e, Gia Lai")


# ---------------------------------------------------------------- printers on their own


def _bands(line: str) -> tuple[Image.Image, int]:
    """Three lines of the same size, the middle one `line`; and a line's height."""
    c = Canvas(576)
    c.text("Mã hồ sơ: 000.00.01.H29-261116-0001")
    c.pair("Người nộp", line)
    c.text("Số CCCD: 064185001234")
    image = c.render().image
    return image, image.height // 3


def test_a_stacked_name_from_an_older_record_does_not_overprint_its_neighbours() -> None:
    blank, h = _bands("")
    for name in (STACKED, NAME, "Ệ\u0301\u0301\u0301 Ở\u0323\u0323"):
        image, _ = _bands(name)
        assert image.size == blank.size
        above, below = (0, 0, 576, h), (0, 2 * h, 576, 3 * h)
        for box in (above, below):  # the code's and the CCCD's lines are untouched
            assert image.crop(box).tobytes() == blank.crop(box).tobytes(), name


def test_a_bidi_control_in_an_older_record_prints_nothing_of_its_own() -> None:
    def receipt(name: str) -> bytes:
        data = layouts.ReceiptData(
            site_name="Trung tâm", dossier_code="000.00.01.H29-261116-0001",
            procedure="Cấp phiếu lý lịch tư pháp", applicant=name, documents=["Tờ khai"],
            received_at=dt.datetime(2026, 11, 16, 9, 0),
            due_date=dt.date(2026, 11, 26),
            status_url="http://kiosk.test/d/x",
        )  # fmt: skip
        return bytes(layouts.receipt(data).preview().tobytes())

    assert receipt(REVERSED) == receipt(NAME)
    assert receipt(NFD_NAME) == receipt(NAME)


# ---------------------------------------------------------------- every entry


@pytest.fixture
def kiosk(demo_app: Flask) -> FlaskClient:
    s = demo_app.extensions["kiosk.sessionmaker"]()
    workdays.seed_calendar(s, [2026, 2027])
    s.close()
    return demo_app.test_client()


def _stored(app: Flask) -> list[Dossier]:
    s = app.extensions["kiosk.sessionmaker"]()
    try:
        return list(s.scalars(select(Dossier)))
    finally:
        s.close()


def test_the_kiosk_page_refuses_and_keeps_nfc(kiosk: FlaskClient, demo_app: Flask) -> None:
    token = csrf(kiosk, f"/kiosk/file/{LLTP}")
    ids = [kupload(kiosk, sample_pdf(), token).get_json()["id"] for _ in range(2)]
    for bad, problem in ((REVERSED, CONTROL), (STACKED, MARKS)):
        data = form_data(token, ids, **{"a.full_name": bad, "step": "submit"})
        r = kiosk.post(f"/kiosk/file/{LLTP}", data=data)
        page = r.get_data(as_text=True)
        assert r.status_code == 422 and f"Họ và tên: {problem}" in page
    data = form_data(token, ids, **{"a.detail": "Tổ 3\u202e", "step": "submit"})
    page = kiosk.post(f"/kiosk/file/{LLTP}", data=data).get_data(as_text=True)
    assert f"Địa chỉ (số nhà, đường): {CONTROL}" in page
    data = form_data(token, ids, **{"f.muc_dich": "Xin vie\u0302\u0323\u0301c", "step": "submit"})
    page = kiosk.post(f"/kiosk/file/{LLTP}", data=data).get_data(as_text=True)
    assert f"Mục đích sử dụng phiếu: {MARKS}" in page
    assert _stored(demo_app) == []
    data = form_data(token, ids, **{"a.full_name": NFD_NAME, "a.detail": "Tổ 3 Lê Lợi",
                                    "f.muc_dich": unicodedata.normalize("NFD", "Xin việc"),
                                    "step": "submit"})  # fmt: skip
    assert kiosk.post(f"/kiosk/file/{LLTP}", data=data).status_code == 303
    [d] = _stored(demo_app)
    assert d.applicant_name == NAME and "Xin việc" in d.fields and "Lê Lợi" in d.applicant_address


def test_the_api_refuses_and_keeps_nfc(client: FlaskClient, floor: Flask) -> None:
    from tests.builders import APPLICANT

    for bad, problem in ((REVERSED, CONTROL), (STACKED, MARKS)):
        r = file_lltp(client, applicant={**APPLICANT, "full_name": bad})
        assert r.status_code == 422
        assert r.get_json()["error"]["fields"]["full_name"].startswith(f"Họ và tên: {problem}")
    assert _stored(floor) == []
    r = file_lltp(client, applicant={**APPLICANT, "full_name": NFD_NAME})
    assert r.status_code == 201
    assert [d.applicant_name for d in _stored(floor)] == [NAME]


def test_the_counter_refuses_and_keeps_nfc(floor: Flask, session: Session) -> None:
    from tests.builders import counter_id

    workdays.seed_calendar(session, [2026, 2027])
    office = floor.test_client()
    office.post("/api/v1/tickets", json={"service": "HOTICH"})
    sign_in(office, "canbo", "mat-khau-dai-1")
    cid = counter_id(session, 1)
    token = csrf(office, f"/office/counters/{cid}")
    office.post(f"/office/counters/{cid}/sign-in", data={"csrf_token": token})
    office.post(f"/office/counters/{cid}/call-next", data={"csrf_token": token, "if_current": "0"})
    data = {"csrf_token": token, "idempotency_key": uuid.uuid4().hex, "a.cccd": "064185001234",
            "a.birth_date": "1985-03-12", "a.gender": "Nữ", "f.loai_phieu": "Phiếu số 1",
            "paper.0": "on", "paper.1": "on"}  # fmt: skip
    url = f"/office/counters/{cid}/receive/{LLTP}"
    bad = office.post(url, data={**data, "a.full_name": STACKED})
    assert bad.status_code == 422 and f"Họ và tên: {MARKS}" in bad.get_data(as_text=True)
    assert office.post(url, data={**data, "a.full_name": NFD_NAME}).status_code == 303
    assert [d.applicant_name for d in _stored(floor)] == [NAME]


def test_the_portal_refuses_before_printing_the_authorization_and_keeps_nfc(
    floor: Flask, branches: dict[str, Any], session: Session
) -> None:
    from tests.builders import agent_upload

    agent = floor.test_client()
    sign_in(agent, "dl-bidv", "mat-khau-dai-9")
    token = csrf(agent, f"/agent/file/{LLTP}")
    for bad, problem in ((REVERSED, CONTROL), (STACKED, MARKS)):
        values = form_data(token, ["", ""], **{"a.full_name": bad})
        r = agent.post(f"/agent/file/{LLTP}/authorization", data=values)
        assert r.status_code == 422 and r.mimetype == "text/html"
        assert f"Họ và tên: {problem}" in r.get_data(as_text=True)
    pdf = agent.post(f"/agent/file/{LLTP}/authorization",
                     data=form_data(token, ["", ""], **{"a.full_name": NFD_NAME}))  # fmt: skip
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    ids = [agent_upload(agent, token, sample_pdf()), agent_upload(agent, token, sample_image())]
    consent = agent_upload(agent, token, sample_pdf())
    filled = form_data(token, ids, idempotency_key="agent-nfc", consent=consent)
    refused = agent.post(f"/agent/file/{LLTP}", data={**filled, "a.full_name": REVERSED})
    assert refused.status_code == 422 and f"Họ và tên: {CONTROL}" in refused.get_data(as_text=True)
    done = agent.post(f"/agent/file/{LLTP}", data={**filled, "a.full_name": NFD_NAME})
    assert done.status_code == 303
    assert [d.applicant_name for d in _stored(floor)] == [NAME]
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "receipt"))
    assert job is not None and session.scalar(select(func.count()).select_from(PrintJob)) == 1


def test_the_kiosk_scan_of_a_card_with_a_reversed_name_fills_nothing(kiosk: FlaskClient) -> None:
    token = csrf(kiosk, f"/kiosk/file/{LLTP}")
    scan = f"064185001234|123456789|{REVERSED}|12031985|Nữ|Tổ 3, Gia Lai"
    page = kiosk.post(f"/kiosk/file/{LLTP}/scan", data={"csrf_token": token, "scan": scan})
    body = page.get_data(as_text=True)
    assert "Họ tên trên mã QR" in body and "Chưa điền gì" in body
    assert "\u202e" not in body


def test_what_staff_type_passes_the_same_rule(
    client: FlaskClient, floor: Flask, session: Session
) -> None:
    from kiosk.domain import dossiers, ratings
    from kiosk.domain.accounts import IdentityError, create_user
    from kiosk.domain.accounts.branches import BranchError, create_branch
    from kiosk.domain.dossiers import TransitionRefused
    from kiosk.domain.queue.setup import ConfigInvalid, ServiceForm, save_service
    from kiosk.models import User

    with pytest.raises(IdentityError, match=f"^Họ và tên: {MARKS}"):
        create_user(session, "x-1", "mat-khau-dai-9", "officer", STACKED)
    assert create_user(session, "x-2", "mat-khau-dai-9", "officer", NFD_NAME).full_name == NAME
    with pytest.raises(BranchError, match=f"^Tên chi nhánh: {CONTROL}"):
        create_branch(session, "BIDV-X", bank="BIDV", name="BIDV \u202eGia Lai")
    manager = session.scalar(select(User).where(User.username == "quanly"))
    assert manager is not None
    with pytest.raises(ConfigInvalid) as refused:
        save_service(session, manager, ServiceForm(code="X", name=STACKED, prefix="X"))
    assert refused.value.errors["name"].startswith(f"Tên dịch vụ: {MARKS}")
    workdays.seed_calendar(session, [2026, 2027])
    create_user(session, "xuly", "mat-khau-dai-4", "processor", "Lê Thị Hà")
    processor = session.scalar(select(User).where(User.username == "xuly"))
    assert processor is not None
    code = file_lltp(client).get_json()["code"]
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    assert d is not None
    with pytest.raises(TransitionRefused, match=f"^Lý do: {CONTROL}"):
        dossiers.move(session, d, "refused", processor, "Thiếu\u202e giấy tờ")
    with pytest.raises(TransitionRefused, match=f"^Lý do chậm: {MARKS}"):
        dossiers.apologize(session, d, processor, dt.date(2027, 1, 4), STACKED)
    moved = dossiers.move(session, d, "refused", processor, "Thiếu giấy tờ\r\nbản gốc")
    assert moved.events[-1].reason == "Thiếu giấy tờ\nbản gốc"
    with pytest.raises(ratings.RatingError, match=f"^Góp ý: {CONTROL}"):  # has a result now
        ratings.rate(session, 5, [], "Tốt\u202e", source="status_page", dossier=d)


def test_the_set_up_refuses_a_stacked_counter_or_kiosk_name_with_its_message(
    floor: Flask,
) -> None:
    office = floor.test_client()
    sign_in(office, "quanly", "mat-khau-dai-2")
    token = csrf(office, "/office/setup/counters")
    r = office.post("/office/setup/counters", data={"csrf_token": token, "number": "9",
                                                    "name": STACKED, "services": "1"})  # fmt: skip
    assert r.status_code == 400 and f"Tên quầy: {MARKS}" in r.get_data(as_text=True)
    r = office.post("/office/printers", data={"csrf_token": token, "code": "K9",
                                              "name": REVERSED, "printer_url": ""})  # fmt: skip
    assert f"Tên kiosk: {CONTROL}" in r.get_data(as_text=True)
