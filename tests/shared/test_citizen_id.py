"""The chip CCCD: its number's structure and the QR code the kiosk's scanner types."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.citizen_id import CccdError, century_digit, check_number, parse_qr

# Gia Lai (064), female born 1985: 064 1 85 ......
SCAN = (
    "064185001234|230456789|Nguyễn Thị Hồng Nhung|12031985|Nữ|Tổ 3, phường Pleiku, Gia Lai|05072021"
)


def test_a_card_scan_fills_every_field() -> None:
    card = parse_qr(SCAN)
    assert card.number == "064185001234" and card.old_id == "230456789"
    assert card.full_name == "Nguyễn Thị Hồng Nhung"
    assert card.birth_date == dt.date(1985, 3, 12) and card.gender == "Nữ"
    assert card.address.startswith("Tổ 3") and card.issue_date == dt.date(2021, 7, 5)


def test_missing_trailing_fields_and_an_empty_old_id_are_tolerated() -> None:
    card = parse_qr("079203004567||Trần Văn An|01012003|Nam|TP Hồ Chí Minh")
    assert card.number == "079203004567" and card.old_id == "" and card.issue_date is None


@pytest.mark.parametrize(
    ("scan", "why"),
    [
        ("", "ít nhất 6 phần"),
        ("xin chao", "ít nhất 6 phần"),
        ("064185001234|230456789|Nhung|12031985|Nữ", "ít nhất 6 phần"),
        ("064185001234||Nhung|31021985|Nữ|Gia Lai", "ngày có thật"),
        ("064185001234||Nhung|1985-03-12|Nữ|Gia Lai", "8 chữ số"),
        ("064185001234||Nhung|12031985|F|Gia Lai", "Nam hoặc Nữ"),
        ("064185001234||Nhung|12031985|Nam|Gia Lai", "Số thứ 4"),
        ("064185001234||Nhung|12031986|Nữ|Gia Lai", "hai số cuối năm sinh"),
        ("003185001234||Nhung|12031985|Nữ|Gia Lai", "mã tỉnh"),
        ("06418500123||Nhung|12031985|Nữ|Gia Lai", "12 chữ số"),
        ("064185001234|12|Nhung|12031985|Nữ|Gia Lai", "CMND cũ"),
        ("064185001234||Nhung|12031985|Nữ|Gia Lai|01011980", "trước ngày sinh"),
        ("064185001234||Nhung|12031985|Nữ|" + "x" * 2000, "quá dài"),
    ],
)
def test_a_malformed_scan_fills_nothing_and_says_why(scan: str, why: str) -> None:
    with pytest.raises(CccdError, match=why):
        parse_qr(scan)


def test_the_century_and_gender_digit() -> None:
    assert century_digit(dt.date(1999, 12, 31), "Nam") == "0"
    assert century_digit(dt.date(1900, 1, 1), "Nữ") == "1"
    assert century_digit(dt.date(2000, 1, 1), "Nam") == "2"
    assert century_digit(dt.date(2099, 1, 1), "Nữ") == "3"
    assert century_digit(dt.date(2100, 1, 1), "Nam") == "4"
    with pytest.raises(CccdError):
        century_digit(dt.date(1899, 1, 1), "Nam")


def test_typed_numbers_are_cleaned_and_checked() -> None:
    assert check_number(" 064 185 001 234 ") == "064185001234"
    assert check_number("079203004567", dt.date(2003, 1, 1), "Nam") == "079203004567"
    for bad in ("", "abc", "0641850012345", "06418500123a", "099185001234"):
        with pytest.raises(CccdError):
            check_number(bad)
