"""VietQR: the NAPAS test vectors, round trips, every limit, the strict parser's refusals, an
independent decoder (vietnam-qr-pay, a test dependency only) on every payload we build, and the
`kiosk vietqr` commands."""

from __future__ import annotations

import json
import random

import pytest
from flask import Flask
from vietnam_qr_pay import QRPay

from kiosk.domain.money import banks, vietqr
from kiosk.domain.money.vietqr import VietQR, VietQRError

V1 = (
    "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800"
    "005802VN62340107NPS68690819thanh toan don hang63042E2E"
)
V2 = (
    "00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC53037045802VN"
    "63044F52"
)


def test_the_napas_vectors_parse_and_build_back() -> None:
    one = vietqr.parse(V1)
    assert one == VietQR("970403", "0011012345678", "QRIBFTTA", 180000, "NPS6869",
                         "thanh toan don hang")  # fmt: skip
    assert vietqr.build(one) == V1
    two = vietqr.parse(V2)
    assert two == VietQR("970403", "9704031101234567", "QRIBFTTC")
    assert vietqr.build(two) == V2


def _independent(payload: str) -> QRPay:
    decoded = QRPay(payload)
    assert decoded.is_valid, payload
    return decoded


def test_every_built_payload_reads_the_same_in_an_independent_decoder() -> None:
    rng = random.Random(7)
    bins = sorted(banks())
    for _ in range(300):
        card = rng.random() < 0.2
        qr = VietQR(
            bin=rng.choice(bins),
            account="".join(rng.choice("0123456789") for _ in range(rng.randint(6, 19))),
            service=vietqr.TO_CARD if card else vietqr.TO_ACCOUNT,
            amount=rng.choice([None, rng.randint(1, 10**9)]),
            bill="HS" + "".join(rng.choice("ABCDEFGH23456789") for _ in range(10)),
            purpose=rng.choice(["", "Lệ phí hộ tịch", "Phí đổi GPLX Đồng Nai"]),
        )
        payload = vietqr.build(qr)
        decoded = _independent(payload)
        assert decoded.consumer.bank_bin == qr.bin
        assert decoded.consumer.bank_number == qr.account
        assert decoded.provider.service == qr.service
        assert decoded.amount == (str(qr.amount) if qr.amount else None)
        assert decoded.additional_data.bill_number == qr.bill
        assert (decoded.additional_data.purpose or "") == vietqr.fold_ascii(qr.purpose)
        assert vietqr.parse(payload) == VietQR(
            qr.bin, qr.account, qr.service, qr.amount, qr.bill, vietqr.fold_ascii(qr.purpose)
        )


@pytest.mark.parametrize(
    ("qr", "message"),
    [
        (VietQR("97040", "123"), "BIN ngân hàng gồm đúng 6 chữ số"),
        (VietQR("970403", "1" * 20), "1 đến 19"),
        (VietQR("970403", "12 34"), "1 đến 19"),
        (VietQR("970403", "123", "QRPUSH"), "QRIBFTTA"),
        (VietQR("970403", "123", amount=0), "số nguyên dương"),
        (VietQR("970403", "123", amount=10**13), "tối đa 13 chữ số"),
        (VietQR("970403", "123", bill="A" * 26), "Số hóa đơn"),
        (VietQR("970403", "123", bill="HS-1"), "Số hóa đơn"),
        (VietQR("970403", "123", purpose="Lệ phí cấp phiếu lý lịch tư pháp số 2"), "dài quá 25"),
    ],
)
def test_every_limit_is_enforced_with_a_clear_message(qr: VietQR, message: str) -> None:
    with pytest.raises(VietQRError) as refused:
        vietqr.build(qr)
    assert message in str(refused.value)


def test_the_purpose_is_folded_to_ascii() -> None:
    assert vietqr.fold_ascii("Lệ phí đăng ký  Đất đai\u200b") == "Le phi dang ky Dat dai"
    built = vietqr.build(VietQR("970418", "123456", amount=20000, purpose="Lệ phí hộ tịch"))
    assert "0814Le phi ho tich" in built and built.isascii()


def _with_crc(body: str) -> str:
    return body + vietqr.crc16(body)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (V1[:-1] + "F", "Sai mã kiểm tra CRC"),
        (V1[:-8], "Thiếu mã kiểm tra CRC"),
        # The bill's inner length says 8 but holds 7 (the CRC recomputed, so only the length
        # is wrong).
        (_with_crc(V1[:-4].replace("62340107NPS6869", "62340108NPS6869")), "Trường 62"),
        (_with_crc(V1[:-4].replace("5802VN", "58X2VN")), "độ dài của trường 58"),
        (_with_crc("AB" + V1[2:-4]), "mã trường 'AB'"),
        (_with_crc(V1[:-4].replace("A000000727", "A000000775")), "38.00"),
        (_with_crc(V1[:-4].replace("5303704", "5303840")), "704"),
        (_with_crc(V1[:-4].replace("010212", "010213")), "Trường 01 phải là 11"),
        ("x" * 600, "quá dài"),
        ("", "Thiếu mã kiểm tra CRC"),
    ],
)
def test_the_parser_refuses_and_says_which_field(payload: str, message: str) -> None:
    with pytest.raises(VietQRError) as refused:
        vietqr.parse(payload)
    assert message in str(refused.value), str(refused.value)


def _tlv(tag: str, value: str) -> str:
    """One field written by hand (ID, 2-digit length, value), not by the builder under test."""
    return f"{tag}{len(value):02d}{value}"


#: A BIDV code as its app issues one to receive money: point of initiation 12 (dynamic) and no
#: amount (the payer types it), the beneficiary's name (59) and city (60), a purpose; written
#: field by field with its own CRC.
BIDV_BODY = (
    _tlv("00", "01")
    + _tlv("01", "12")
    + _tlv("38", _tlv("00", "A000000727")
           + _tlv("01", _tlv("00", "970418") + _tlv("01", "2151000123456"))
           + _tlv("02", "QRIBFTTA"))
    + _tlv("53", "704")
    + _tlv("58", "VN")
    + _tlv("59", "NGUYEN VAN AN")
    + _tlv("60", "GIA LAI")
    + _tlv("62", _tlv("08", "CHUYEN TIEN"))
    + "6304"
)  # fmt: skip
BIDV = BIDV_BODY + vietqr.crc16(BIDV_BODY)


def test_a_bidv_dynamic_code_without_an_amount_parses(app: Flask) -> None:
    """EMVCo's point of initiation says whether a code is shown for one payment (12) or many
    (11), not whether it holds an amount (54 is optional in both): banks issue 12 without an
    amount and banking apps pay it. The independent decoder reads it as we do."""
    theirs = _independent(BIDV)
    assert (theirs.init_method, theirs.amount, theirs.consumer.bank_bin) == ("12", None, "970418")
    assert vietqr.parse(BIDV) == VietQR("970418", "2151000123456", purpose="CHUYEN TIEN")
    runner = app.test_cli_runner()
    parsed = runner.invoke(args=["vietqr", "parse", BIDV])
    assert parsed.exit_code == 0, parsed.output
    assert json.loads(parsed.output) == {
        "bin": "970418", "account": "2151000123456", "service": "QRIBFTTA",
        "amount": None, "purpose": "CHUYEN TIEN", "bill": "",
    }  # fmt: skip
    # A static code with an amount, and a code without a point of initiation (optional in
    # EMVCo), are read too.
    static = _with_crc(V1[:-4].replace("010212", "010211"))
    assert vietqr.parse(static).amount == 180000
    assert vietqr.parse(_with_crc(V1[:-4].replace("010212", "", 1))).amount == 180000
    # What the format forbids is still refused: a wrong CRC, a length that does not hold.
    wrong_crc = BIDV[:-1] + ("0" if BIDV[-1] != "0" else "1")
    bad_crc = runner.invoke(args=["vietqr", "parse", wrong_crc])
    assert bad_crc.exit_code != 0 and "Sai mã kiểm tra CRC" in bad_crc.output
    short = _with_crc(BIDV_BODY.replace("0113", "0114", 1))  # the account says 14, holds 13
    bad_length = runner.invoke(args=["vietqr", "parse", short])
    assert bad_length.exit_code != 0 and "Trường 38.01" in bad_length.output, bad_length.output
    beyond = _with_crc(BIDV_BODY.replace("6007GIA LAI", "6099GIA LAI", 1))
    with pytest.raises(VietQRError, match="khai báo dài 99"):
        vietqr.parse(beyond)


def test_the_bank_list_agrees_with_the_independent_package() -> None:
    from vietnam_qr_pay import BanksObject

    theirs = {b.bin for b in BanksObject.values() if not b.deprecated and b.bin}
    assert set(banks()) == theirs
    assert banks()["970418"].short_name == "BIDV"
    assert banks()["970405"].short_name == "Agribank"


def test_the_commands_build_and_parse(app: Flask) -> None:
    runner = app.test_cli_runner()
    built = runner.invoke(args=["vietqr", "build", "--bin", "970403", "--account",
                                "0011012345678", "--amount", "180000", "--purpose",
                                "thanh toan don hang", "--bill", "NPS6869"])  # fmt: skip
    assert built.exit_code == 0, built.output
    assert built.output.strip().splitlines()[-1] == V1
    card = runner.invoke(args=["vietqr", "build", "--bin", "970403", "--account",
                               "9704031101234567", "--card"])  # fmt: skip
    assert card.output.strip() == V2
    parsed = runner.invoke(args=["vietqr", "parse", V1])
    assert parsed.exit_code == 0
    assert json.loads(parsed.output) == {
        "bin": "970403", "account": "0011012345678", "service": "QRIBFTTA",
        "amount": 180000, "purpose": "thanh toan don hang", "bill": "NPS6869",
    }  # fmt: skip
    bad = runner.invoke(args=["vietqr", "parse", V1[:-1] + "0"])
    assert bad.exit_code != 0 and "Sai mã kiểm tra CRC" in bad.output
    wrong = runner.invoke(args=["vietqr", "build", "--bin", "97", "--account", "1"])
    assert wrong.exit_code != 0 and "6 chữ số" in wrong.output
