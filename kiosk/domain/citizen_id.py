"""The chip citizen ID card (*căn cước công dân*, CCCD): its 12-digit number and the QR code on
its front, which the kiosk's scanner types as keyboard input.

The number (Circular 07/2016/TT-BCA, art. 7; kept by the Law on Identification 2023, art. 12):
- digits 1-3: the province where the birth was registered (`PROVINCES`, the 63 codes of the
  appendix; cards keep them after the 2025 merger of provinces);
- digit 4: century and gender: 0/1 born 1900-1999 male/female, 2/3 2000-2099, 4/5 2100-2199,
  6/7 2200-2299, 8/9 2300-2399;
- digits 5-6: the last two digits of the birth year;
- digits 7-12: a random sequence.

The QR code reads `CCCD|old ID|full name|ddmmyyyy|gender|address|issue date`; some cards give
fewer trailing fields, so at least the first six are required.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .text import N_, TextRefused, clean_text

#: Province codes of the birth registration (appendix of Circular 07/2016/TT-BCA).
PROVINCES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
    "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
    "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
    "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
    "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
    "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
    "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
    "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
    "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang",
    "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long", "087": "Đồng Tháp",
    "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip
GENDERS = (N_("Nam"), N_("Nữ"))
_DIGITS12 = re.compile(r"^[0-9]{12}$")
_OLD_ID = re.compile(r"^([0-9]{9}|[0-9]{12})?$")


class CccdError(ValueError):
    """A CCCD number or scan that cannot be right; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class CccdCard:
    """What the card's QR code says."""

    number: str
    old_id: str
    full_name: str
    birth_date: dt.date
    gender: str
    address: str
    issue_date: dt.date | None = None


def century_digit(birth_date: dt.date, gender: str) -> str:
    """The 4th digit a card must have for this birth date and gender."""
    century = birth_date.year // 100 - 19
    if not 0 <= century <= 4 or gender not in GENDERS:
        raise CccdError("Năm sinh hoặc giới tính không hợp lệ cho số căn cước.")
    return str(2 * century + (1 if gender == "Nữ" else 0))


def clean_number(number: str) -> str:
    """The number as it is kept: without the spaces, dots and dashes it may be written with."""
    return re.sub(r"[\s.-]", "", number or "")


def check_number(number: str, birth_date: dt.date | None = None, gender: str | None = None) -> str:
    """The number, cleaned (`clean_number`), if it can be a CCCD (and agrees with the birth date
    and gender when they are given); CccdError saying what is wrong otherwise."""
    cleaned = clean_number(number)
    if not _DIGITS12.match(cleaned):
        raise CccdError("Số căn cước gồm đúng 12 chữ số.")
    if cleaned[:3] not in PROVINCES:
        raise CccdError(
            f"Ba số đầu {cleaned[:3]} không phải mã tỉnh, thành phố nơi đăng ký khai sinh."
        )
    if birth_date is not None:
        if cleaned[4:6] != f"{birth_date.year % 100:02d}":
            raise CccdError(
                f"Số thứ 5 và 6 của số căn cước ({cleaned[4:6]}) phải là hai số cuối năm sinh "
                f"({birth_date.year % 100:02d})."
            )
        if gender is not None and cleaned[3] != century_digit(birth_date, gender):
            raise CccdError(
                "Số thứ 4 của số căn cước không khớp với giới tính và thế kỷ sinh "
                f"(cần {century_digit(birth_date, gender)} cho {gender}, sinh năm "
                f"{birth_date.year})."
            )
    return cleaned


def _date(value: str, label: str) -> dt.date:
    if not re.fullmatch(r"[0-9]{8}", value):
        raise CccdError(f"{label} trên mã QR phải có dạng ngàythángnăm (8 chữ số).")
    try:
        return dt.date(int(value[4:]), int(value[2:4]), int(value[:2]))
    except ValueError as exc:
        raise CccdError(f"{label} trên mã QR không phải một ngày có thật: {value}.") from exc


def parse_qr(text: str) -> CccdCard:
    """The card behind a scanned QR code; CccdError (and nothing filled) if it is not one."""
    raw = (text or "").strip()
    if len(raw) > 1000:
        raise CccdError("Mã quét được quá dài, không phải mã QR trên thẻ căn cước.")
    fields = raw.split("|")
    if len(fields) < 6:
        raise CccdError(
            "Mã quét được không phải mã QR trên thẻ căn cước (cần ít nhất 6 phần ngăn bởi |)."
        )
    number, old_id, name, birth, gender, address = (f.strip() for f in fields[:6])
    try:  # printed on the receipt and the authorization: no stacked marks, no bidi controls
        name = clean_text(name, "Họ tên trên mã QR")
        address = clean_text(address, "Địa chỉ trên mã QR")
    except TextRefused as exc:
        raise CccdError(str(exc)) from exc
    issue = fields[6].strip() if len(fields) > 6 else ""
    if gender not in GENDERS:
        raise CccdError(f"Giới tính trên mã QR phải là Nam hoặc Nữ, không phải {gender[:10]!r}.")
    birth_date = _date(birth, "Ngày sinh")
    if not name:
        raise CccdError("Mã QR không có họ tên.")
    if not _OLD_ID.match(old_id):
        raise CccdError("Số CMND cũ trên mã QR phải có 9 hoặc 12 chữ số.")
    number = check_number(number, birth_date, gender)
    issue_date = _date(issue, "Ngày cấp") if issue else None
    if issue_date is not None and issue_date < birth_date:
        raise CccdError("Ngày cấp trên mã QR trước ngày sinh.")
    return CccdCard(number, old_id, name, birth_date, gender, address, issue_date)
