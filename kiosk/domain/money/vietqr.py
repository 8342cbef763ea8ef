"""VietQR: the NAPAS interbank QR code that every Vietnamese banking app pays, built on the
EMVCo merchant-presented format. A builder and a strict parser.

Each field is an ID (2 digits), a length (2 digits) and a value:

- `00` payload format `01`; `01` point of initiation, optional: `11` (static, the same code
  shown for many payments) or `12` (dynamic, a new code for each payment). It says whether the
  code is reused, not whether it holds an amount: either may carry `54` or leave the amount to
  the payer (BIDV issues `12` without one, and banking apps pay it). We build `12` with an
  amount and `11` without;
- `38` the beneficiary: `00` the GUID `A000000727`, `01` the beneficiary organization (`00` the
  bank's BIN, 6 digits; `01` the account or card number), `02` the service, `QRIBFTTA` to an
  account or `QRIBFTTC` to a card;
- `53` currency `704` (VND), `54` the amount (whole đồng), `58` country `VN`;
- `62` additional data: `01` the bill number (our payment reference), `08` the purpose;
- `63` the CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF) of everything before it
  including `6304`, as 4 upper-case hex digits.

The purpose is folded to plain ASCII (banking apps show it as typed); every length limit is
enforced with a message saying which (`VietQRError`). The parser checks the CRC first, then
every length, and says which field is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

GUID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"
TO_CARD = "QRIBFTTC"
SERVICES = (TO_ACCOUNT, TO_CARD)
#: EMVCo limits: account or card (ans..19), amount (ans..13), bill and purpose (ans..25).
MAX_ACCOUNT = 19
MAX_AMOUNT_DIGITS = 13
MAX_BILL = 25
MAX_PURPOSE = 25
_ID = re.compile(r"^[0-9]{2}$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")
_REFERENCE = re.compile(r"^[0-9A-Za-z]{1,25}$")


class VietQRError(ValueError):
    """A payload that cannot be built or parsed; the message says which field and why."""


@dataclass(frozen=True)
class VietQR:
    """What a VietQR payload says."""

    bin: str
    account: str
    service: str = TO_ACCOUNT
    amount: int | None = None
    bill: str = ""
    purpose: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "bin": self.bin,
            "account": self.account,
            "service": self.service,
            "amount": self.amount,
            "purpose": self.purpose,
            "bill": self.bill,
        }


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE of `data` (UTF-8), 4 upper-case hex digits."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def fold_ascii(text: str) -> str:
    """Vietnamese text as plain ASCII: diacritics dropped, đ to d, other characters left out,
    spaces collapsed ("Lệ phí hộ tịch" → "Le phi ho tich")."""
    text = text.replace("đ", "d").replace("Đ", "D")
    plain = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in plain if ch.isascii() and (ch.isprintable()))
    return " ".join(kept.split())


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise VietQRError(f"Trường {tag} dài quá 99 ký tự.")
    return f"{tag}{len(value):02d}{value}"


def build(qr: VietQR) -> str:
    """The payload string for `qr` (VietQRError says what is wrong)."""
    if not re.fullmatch(r"[0-9]{6}", qr.bin):
        raise VietQRError("Mã BIN ngân hàng gồm đúng 6 chữ số.")
    if not _ACCOUNT.match(qr.account):
        raise VietQRError(
            f"Số tài khoản hoặc số thẻ gồm 1 đến {MAX_ACCOUNT} chữ số hoặc chữ cái không dấu."
        )
    if qr.service not in SERVICES:
        raise VietQRError("Dịch vụ là QRIBFTTA (tài khoản) hoặc QRIBFTTC (thẻ).")
    if qr.amount is not None and (
        isinstance(qr.amount, bool) or qr.amount <= 0 or len(str(qr.amount)) > MAX_AMOUNT_DIGITS
    ):
        raise VietQRError(f"Số tiền là số nguyên dương tối đa {MAX_AMOUNT_DIGITS} chữ số.")
    if qr.bill and not _REFERENCE.match(qr.bill):
        raise VietQRError(f"Số hóa đơn gồm 1 đến {MAX_BILL} chữ số hoặc chữ cái không dấu.")
    purpose = fold_ascii(qr.purpose)
    if len(purpose) > MAX_PURPOSE:
        raise VietQRError(f"Nội dung chuyển khoản dài quá {MAX_PURPOSE} ký tự (sau khi bỏ dấu).")
    beneficiary = _field("00", qr.bin) + _field("01", qr.account)
    merchant = _field("00", GUID) + _field("01", beneficiary) + _field("02", qr.service)
    out = _field("00", "01") + _field("01", "12" if qr.amount is not None else "11")
    out += _field("38", merchant) + _field("53", "704")
    if qr.amount is not None:
        out += _field("54", str(qr.amount))
    out += _field("58", "VN")
    extra = (_field("01", qr.bill) if qr.bill else "") + (_field("08", purpose) if purpose else "")
    if extra:
        out += _field("62", extra)
    out += "6304"
    return out + crc16(out)


def _fields(data: str, where: str) -> dict[str, str]:
    """The ID → value map of a run of fields; VietQRError names the one that is malformed."""
    out: dict[str, str] = {}
    i = 0
    while i < len(data):
        tag, size = data[i : i + 2], data[i + 2 : i + 4]
        if not _ID.match(tag):
            raise VietQRError(f"{where}: mã trường {tag!r} ở vị trí {i} không phải 2 chữ số.")
        if not _ID.match(size):
            raise VietQRError(f"{where}: độ dài của trường {tag} không phải 2 chữ số.")
        end = i + 4 + int(size)
        if end > len(data):
            raise VietQRError(
                f"{where}: trường {tag} khai báo dài {int(size)} ký tự nhưng chỉ còn "
                f"{len(data) - i - 4}."
            )
        if tag in out:
            raise VietQRError(f"{where}: trường {tag} xuất hiện hai lần.")
        out[tag] = data[i + 4 : end]
        i = end
    return out


def parse(payload: str) -> VietQR:
    """What a VietQR payload says; VietQRError says why it is not a valid one."""
    payload = (payload or "").strip()
    if len(payload) > 512:
        raise VietQRError("Chuỗi quá dài, không phải mã VietQR.")
    if len(payload) < 12 or payload[-8:-4] != "6304":
        raise VietQRError("Thiếu mã kiểm tra CRC (trường 63) ở cuối chuỗi.")
    if crc16(payload[:-4]) != payload[-4:].upper():
        raise VietQRError(
            f"Sai mã kiểm tra CRC: chuỗi ghi {payload[-4:]}, tính ra {crc16(payload[:-4])}."
        )
    top = _fields(payload[:-4] + "0000", "Mã QR")  # the CRC's own value was checked above
    if top.get("00") != "01":
        raise VietQRError("Trường 00 (phiên bản) phải là 01.")
    if top.get("01", "11") not in ("11", "12"):
        raise VietQRError("Trường 01 phải là 11 (mã tĩnh) hoặc 12 (mã động).")
    if "38" not in top:
        raise VietQRError("Thiếu trường 38 (thông tin người nhận VietQR).")
    merchant = _fields(top["38"], "Trường 38")
    if merchant.get("00") != GUID:
        raise VietQRError(f"Trường 38.00 phải là {GUID} (NAPAS VietQR).")
    beneficiary = _fields(merchant.get("01", ""), "Trường 38.01")
    bank_bin, account = beneficiary.get("00", ""), beneficiary.get("01", "")
    if not re.fullmatch(r"[0-9]{6}", bank_bin):
        raise VietQRError("Trường 38.01.00 (BIN ngân hàng) phải gồm 6 chữ số.")
    if not _ACCOUNT.match(account):
        raise VietQRError("Trường 38.01.01 (số tài khoản hoặc thẻ) không hợp lệ.")
    service = merchant.get("02", "")
    if service not in SERVICES:
        raise VietQRError("Trường 38.02 phải là QRIBFTTA hoặc QRIBFTTC.")
    if top.get("53") != "704":
        raise VietQRError("Trường 53 (tiền tệ) phải là 704 (VND).")
    if top.get("58") != "VN":
        raise VietQRError("Trường 58 (quốc gia) phải là VN.")
    amount = None
    if "54" in top:
        if not re.fullmatch(r"[0-9]{1,13}", top["54"]) or int(top["54"]) == 0:
            raise VietQRError("Trường 54 (số tiền) phải là số nguyên dương, tính bằng đồng.")
        amount = int(top["54"])
    extra = _fields(top["62"], "Trường 62") if "62" in top else {}
    return VietQR(
        bin=bank_bin, account=account, service=service, amount=amount,
        bill=extra.get("01", ""), purpose=extra.get("08", ""),
    )  # fmt: skip
