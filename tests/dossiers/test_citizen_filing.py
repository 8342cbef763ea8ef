"""The domain under the kiosk's filing in steps (issue 18): dates as Vietnamese write them, the
card's address matched to the place list, the form cut into steps, and the draft kept on the
server that the idle reset wipes."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.domain import places
from kiosk.domain.catalog import forms
from kiosk.domain.dossiers import drafts
from kiosk.dossier_form import scan

LLTP = "3.000333"
SCAN = "064185001234|123456789|Nguyễn Thị Hồng Nhung|12031985|Nữ|Tổ 3, Phường Quy Nhơn, Gia Lai"


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("12/03/1985", dt.date(1985, 3, 12)),
        ("1/3/1985", dt.date(1985, 3, 1)),
        ("12.03.1985", dt.date(1985, 3, 12)),
        ("12-03-1985", dt.date(1985, 3, 12)),
        ("12031985", dt.date(1985, 3, 12)),  # a numeric keypad has no slash
        (" 29/02/2000 ", dt.date(2000, 2, 29)),
        ("1985-03-12", dt.date(1985, 3, 12)),  # as stored
    ],
)
def test_a_date_is_read_day_first(typed: str, day: dt.date) -> None:
    assert forms.read_date(typed) == day
    assert forms.date_text(day.isoformat()) == day.strftime("%d/%m/%Y")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/02/2000", "ngày 31/02/2000 không có thật: tháng 2 năm 2000 có 29 ngày."),
        ("29/02/2001", "ngày 29/02/2001 không có thật: tháng 2 năm 2001 có 28 ngày."),
        ("31/04/1990", "ngày 31/04/1990 không có thật: tháng 4 năm 1990 có 30 ngày."),
        ("12/13/1985", "không có tháng 13"),
        ("03/12/85", "ngày không hợp lệ (ngày/tháng/năm, ví dụ 25/09/1985)."),
        ("01/01/1850", "năm 1850 không hợp lệ (từ 1900 đến 2100)."),
    ],
)
def test_an_impossible_date_is_refused_saying_why(typed: str, message: str) -> None:
    with pytest.raises(forms.DateRefused) as exc:
        forms.read_date(typed)
    assert str(exc.value).startswith(message)
    field = forms.Field(name="ngay", label="Ngày cấp", kind="date")
    value, problem = forms.check_value(field, typed)
    assert value is None and problem == f"Ngày cấp: {exc.value}"


def test_a_card_address_is_matched_to_its_province_and_commune() -> None:
    found = places.match_address("Tổ 3, Phường Quy Nhơn, Gia Lai")
    assert found.commune is not None and found.commune.code == "21583"
    assert (found.province_code, found.detail) == ("52", "Tổ 3")
    # Without the kind of division, in another case and without marks.
    bare = places.match_address("Thon 1, ia hru, GIA LAI")
    assert bare.commune is not None and bare.commune.name == "Xã Ia Hrú"
    assert bare.detail == "Thon 1"
    # "Thành phố Hà Nội" is found as "Hà Nội".
    hanoi = places.match_address("12 Hàng Bông, Phường Hoàn Kiếm, Hà Nội")
    assert hanoi.province_code == "01" and hanoi.commune is not None
    # A province found, its commune not: the rest stays for the citizen to check.
    half = places.match_address("Tổ 3, Phường Không Có, Gia Lai")
    assert (half.commune, half.province_code, half.detail) == (None, "52", "Tổ 3, Phường Không Có")
    # An address of before the 2025 merger (Bình Định is now part of Gia Lai): the province it
    # is part of now, the rest kept for the citizen to check.
    old = places.match_address("Số 5 Lê Lợi, Phường Lê Lợi, Thành phố Quy Nhơn, Bình Định")
    assert (old.commune, old.province_code, old.former_province) == (None, "52", "Bình Định")
    assert old.detail == "Số 5 Lê Lợi, Phường Lê Lợi, Thành phố Quy Nhơn"


@pytest.mark.parametrize(
    ("address", "now"),
    [
        ("Tổ 2, Phường Quyết Thắng, Thành phố Kon Tum, Tỉnh Kon Tum", "Quảng Ngãi"),
        ("Thôn 3, Xã Cát Hanh, Huyện Phù Cát, BINH DINH", "Gia Lai"),
        ("Ấp 1, Xã Long Sơn, Thành phố Vũng Tàu, Bà Rịa - Vũng Tàu", "Thành phố Hồ Chí Minh"),
        ("12 Trần Hưng Đạo, Phường 1, Thành phố Tuy Hòa, Phú Yên", "Đắk Lắk"),
        ("Số 4, Thị trấn Gia Nghĩa, Tỉnh Đắk Nông", "Lâm Đồng"),
        ("Thôn Đông, Xã Vũ Hội, Huyện Vũ Thư, Thái Bình", "Hưng Yên"),
        ("Khóm 2, Phường 7, Thành phố Bạc Liêu, Tỉnh Bạc Liêu", "Cà Mau"),
        ("05 Lê Lợi, Thừa Thiên Huế", "Thành phố Huế"),
        ("Thôn Hòa, Xã Ia Hrú, Kon Tum", "Quảng Ngãi"),
    ],
)
def test_a_province_of_before_2025_is_matched_to_the_one_it_is_part_of_now(
    address: str, now: str
) -> None:
    found = places.match_address(address)
    assert dict(places.provinces())[found.province_code] == now
    assert found.former_province and found.former_province in address
    # Nothing written is lost: what was not matched stays to check.
    assert address.startswith(found.detail.split(",")[0])


def test_the_2025_merger_table_is_data_that_names_only_provinces_of_now() -> None:
    import json

    table = json.loads(places.MERGED_2025.read_text(encoding="utf-8"))["merged"]
    # 63 provinces became 34: 29 merged away, and Thừa Thiên Huế is now Huế.
    assert len(table) == 30
    names = {name for _, name in places.provinces()}
    assert not set(table) & {n.removeprefix("Thành phố ") for n in names}
    assert len(places.former_provinces()) == 30
    # A card of today still matches as before, with no former name.
    assert places.match_address("Tổ 3, Phường Quy Nhơn, Gia Lai").former_province == ""


def test_the_scan_fills_every_field_that_asks_for_the_cards_address(demo_app: Flask) -> None:
    from kiosk.domain import catalog
    from kiosk.view_helpers import db

    with demo_app.test_request_context():
        proc = catalog.get_procedure(db(), LLTP)
        got = scan(SCAN, proc)
        moving = scan(SCAN, catalog.get_procedure(db(), "1.004222"))
    assert got.ok and "kiểm tra lại địa chỉ" in got.message
    assert got.values["a.birth_date"] == "12/03/1985" and got.values["a.gender"] == "Nữ"
    for prefix in ("a", "f.noi_thuong_tru"):
        assert got.values[f"{prefix}.province"] == "52"
        assert got.values[f"{prefix}.commune_code"] == "21583"
        assert got.values[f"{prefix}.detail"] == "Tổ 3"
    # "Nơi đề nghị đăng ký thường trú" is where one moves to, not the card's address.
    assert not any(k.startswith("f.") for k in moving.values)
    # A card issued before the 2025 merger: the province of now is chosen, and the note says so.
    before = scan(SCAN.replace("Tổ 3, Phường Quy Nhơn, Gia Lai", "Tổ 3, Xã Ia Chim, Kon Tum"), proc)
    assert (
        before.values["a.province"] == "51" and before.values["f.noi_thuong_tru.province"] == "51"
    )
    assert "Tỉnh Kon Tum trên thẻ nay thuộc Quảng Ngãi" in before.message
    assert "kiểm tra lại địa chỉ" in before.message


def test_the_form_is_cut_into_steps_that_fit_a_screen() -> None:
    def f(name: str, kind: str = "text", max_length: int = 255) -> forms.Field:
        return forms.Field(name=name, label=name, kind=kind, max_length=max_length)

    form = [f("a"), f("b"), f("c"), f("d", "address"), f("e"), f("g", max_length=2000), f("h")]
    assert [[x.name for x in s] for s in forms.steps(form)] == [
        ["a", "b", "c"], ["d", "e"], ["g", "h"],
    ]  # fmt: skip
    assert forms.steps([]) == []


def test_a_draft_is_kept_whole_and_swept_when_left(tmp_path: Path) -> None:
    token = drafts.new_token()
    pairs = [("a.full_name", "Nguyễn Thị Hồng Nhung"), ("f.muc_dich", "Xin việc")]
    drafts.save(tmp_path, token, LLTP, pairs)
    assert drafts.load(tmp_path, token, LLTP) == pairs
    assert drafts.load(tmp_path, token, "1.001193") == []  # another procedure's
    assert drafts.load(tmp_path, "../../etc/passwd", LLTP) == []
    with pytest.raises(ValueError):
        drafts.save(tmp_path, "../x", LLTP, pairs)
    old = drafts.new_token()
    drafts.save(tmp_path, old, LLTP, pairs)
    stale = os.path.getmtime(tmp_path / f"{old}.json") - drafts.KEEP_SECONDS - 10
    os.utime(tmp_path / f"{old}.json", (stale, stale))
    drafts.save(tmp_path, token, LLTP, pairs)  # a save sweeps
    assert not (tmp_path / f"{old}.json").exists() and drafts.load(tmp_path, token, LLTP) == pairs
    drafts.discard(tmp_path, token)
    assert list(tmp_path.iterdir()) == []


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_steps_keep_what_was_typed_and_the_idle_reset_wipes_the_draft(demo_app: Flask) -> None:
    kiosk = demo_app.test_client()
    token = _csrf(kiosk, f"/kiosk/file/{LLTP}")
    step1 = kiosk.get(f"/kiosk/file/{LLTP}").get_data(as_text=True)
    assert "Bước 1/8" in step1 and 'name="a.birth_date"' in step1 and 'type="date"' not in step1
    card = {
        "csrf_token": token, "at": "1", "go": "next", "a.full_name": "Nguyễn Thị Hồng Nhung",
        "a.cccd": "064185001234", "a.birth_date": "31/02/1985", "a.gender": "Nữ",
    }  # fmt: skip
    r = kiosk.post(f"/kiosk/file/{LLTP}", data=card)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Ngày sinh: ngày 31/02/1985 không có thật" in page and 'value="31/02/1985"' in page
    r = kiosk.post(f"/kiosk/file/{LLTP}", data={**card, "a.birth_date": "12031985"})
    assert r.status_code == 303 and r.headers["Location"].endswith("step=2")
    contact = {"csrf_token": token, "at": "2", "go": "next", "a.phone": "0905123456"}
    assert kiosk.post(f"/kiosk/file/{LLTP}", data=contact).headers["Location"].endswith("step=3")
    form = {"csrf_token": token, "at": "3", "f.noi_sinh": "Gia Lai", "f.dan_toc": "Jrai"}
    r = kiosk.post(f"/kiosk/file/{LLTP}", data={**form, "go": "back"})  # back: kept, unchecked
    assert r.status_code == 303 and r.headers["Location"].endswith("step=2")
    again = kiosk.get(f"/kiosk/file/{LLTP}?step=1").get_data(as_text=True)
    assert 'value="Nguyễn Thị Hồng Nhung"' in again and 'value="12/03/1985"' in again
    step3 = kiosk.get(f"/kiosk/file/{LLTP}?step=3").get_data(as_text=True)
    assert "Bước 3/8" in step3 and 'value="Jrai"' in step3 and 'value="Gia Lai"' in step3
    review = kiosk.get(f"/kiosk/file/{LLTP}?step=8").get_data(as_text=True)
    assert "Kiểm tra lại trước khi nộp" in review and "12/03/1985" in review and ">Nữ<" in review
    assert review.count(">Sửa<") >= 17  # every applicant's and form's line, every paper
    folder = Path(demo_app.instance_path) / "drafts"
    with kiosk.session_transaction() as sess:
        draft = folder / f"{sess['draft']}.json"
    assert "Jrai" in json.loads(draft.read_text(encoding="utf-8"))["values"][-1][1]
    # The idle reset forgets the draft: the file is gone, the next citizen starts empty.
    kiosk.get("/kiosk/reset")
    assert not draft.exists()
    fresh = kiosk.get(f"/kiosk/file/{LLTP}?step=3").get_data(as_text=True)
    assert "Jrai" not in fresh and "Nguyễn Thị Hồng Nhung" not in fresh


def test_papers_are_attached_without_javascript_by_the_steps_own_post(demo_app: Flask) -> None:
    """The papers step's form is multipart and names its file inputs: without JavaScript the
    files go up with the step's post, are kept in the draft, and the dossier is filed with
    them; a file refused is said beside its paper and what was already given stays."""
    from sqlalchemy import select

    from kiosk.models import Dossier, Upload
    from tests.builders import form_data, sample_image, sample_pdf

    kiosk = demo_app.test_client()
    token = _csrf(kiosk, f"/kiosk/file/{LLTP}")
    everything = {**form_data(token, ["", ""]), "step": "review"}
    assert kiosk.post(f"/kiosk/file/{LLTP}", data=everything).status_code == 422  # no papers
    step7 = kiosk.get(f"/kiosk/file/{LLTP}?step=7").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in step7
    assert 'name="file.0"' in step7 and 'name="file.1"' in step7
    url = f"/kiosk/file/{LLTP}"
    papers = {"csrf_token": token, "at": "7", "go": "next", "doc.0": "", "doc.1": ""}
    # One good file, one that is not a PDF or an image: refused beside its paper, 422.
    r = kiosk.post(url, content_type="multipart/form-data", data={
        **papers, "file.0": (io.BytesIO(sample_pdf()), "to-khai.pdf"),
        "file.1": (io.BytesIO(b"MZ\x90\x00 not a paper"), "anh.jpg"),
    })  # fmt: skip
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Bước 7/8" in page and 'class="field-error"' in page
    kept = re.search(r'name="doc.0" value="([0-9a-f-]+)"', page)
    assert kept is not None  # the good one is in the draft
    # Empty file inputs (nothing chosen, or the script already uploaded) change nothing.
    r = kiosk.post(url, content_type="multipart/form-data", data={
        **papers, "doc.0": kept.group(1), "file.0": (io.BytesIO(b""), ""),
        "file.1": (io.BytesIO(sample_image()), "can-cuoc.jpg"),
    })  # fmt: skip
    assert r.status_code == 303 and r.headers["Location"].endswith("step=8")
    review = kiosk.get(f"{url}?step=8").get_data(as_text=True)
    assert "to-khai.pdf" in review and "can-cuoc.jpg" in review
    done = kiosk.post(url, data={"csrf_token": token, "at": "8", "go": "submit"})
    assert done.status_code == 303 and "/kiosk/file/done/" in done.headers["Location"]
    code = done.headers["Location"].rsplit("/", 1)[-1]
    s = demo_app.extensions["kiosk.sessionmaker"]()
    try:
        filed = s.scalar(select(Dossier).where(Dossier.code == code))
        assert filed is not None
        names = sorted(s.scalars(select(Upload.original_name).where(Upload.dossier_id == filed.id)))
        assert names == ["can-cuoc.jpg", "to-khai.pdf"]
    finally:
        s.close()


def test_a_change_from_the_check_page_returns_to_it_or_to_the_first_step_left_wrong(
    demo_app: Flask,
) -> None:
    kiosk = demo_app.test_client()
    token = _csrf(kiosk, f"/kiosk/file/{LLTP}")
    card = {
        "csrf_token": token, "at": "1", "go": "next", "a.full_name": "Nguyễn Thị Hồng Nhung",
        "a.cccd": "064185001234", "a.birth_date": "12/03/1985", "a.gender": "Nữ",
    }  # fmt: skip
    assert kiosk.post(f"/kiosk/file/{LLTP}", data=card).status_code == 303
    # "Sửa" of the card: its step posts back to the check page ...
    step1 = kiosk.get(f"/kiosk/file/{LLTP}?step=1&review=1").get_data(as_text=True)
    assert 'name="review" value="1"' in step1 and "Lưu và quay lại trang kiểm tra" in step1
    assert "Tiếp tục" not in step1
    # ... a wrong value stays on it, still on its way back ...
    r = kiosk.post(f"/kiosk/file/{LLTP}", data={**card, "review": "1", "a.cccd": "12"})
    assert r.status_code == 422 and 'name="review" value="1"' in r.get_data(as_text=True)
    # ... and a later step still wrong (the form, never filled) is where it goes then.
    r = kiosk.post(f"/kiosk/file/{LLTP}", data={**card, "review": "1"})
    assert r.status_code == 303 and r.headers["Location"].endswith("step=3&review=1")
    # Without "Sửa" the steps go on one by one, as before.
    r = kiosk.post(f"/kiosk/file/{LLTP}", data=card)
    assert r.headers["Location"].endswith("step=2")
