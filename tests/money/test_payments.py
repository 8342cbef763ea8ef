"""Payments: a dossier's fee as a VietQR code, paid only by the bank's signed notification or by
cash an officer records. One test per refused notification, each asserting nothing was paid."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from vietnam_qr_pay import QRPay

from kiosk.domain import catalog, dossiers, money
from kiosk.domain.accounts import create_user
from kiosk.domain.dossiers import workdays
from kiosk.domain.money import vietqr
from kiosk.domain.text import format_vnd
from kiosk.models import AuditEntry, Dossier, Payment, PaymentNotice, User
from tests.builders import sample_pdf, valid

SITE = "000.00.01.H29"
NHUNG = dossiers.Applicant("Nguyễn Thị Hồng Nhung", "064185001234", None, "Nữ", "0905123456")


@pytest.fixture
def setup(floor: Flask, session: Session) -> dict[str, Any]:
    workdays.seed_calendar(session, [2026, 2027])
    manager = session.scalar(select(User).where(User.username == "quanly"))
    officer = session.scalar(select(User).where(User.username == "canbo"))
    account = money.add_account(session, agency=SITE, bank_bin="970418",
                                   number="1234567890", holder="Trung tâm PVHCC Gia Lai",
                                   actor=manager)  # fmt: skip
    proc = catalog.get_procedure(session, "1.004222")  # 20,000 đ at the counter
    assert proc is not None
    d = dossiers.receive(session, proc, NHUNG, channel="direct", site_code=SITE,
                         actor=officer).dossier  # fmt: skip
    secret = money.rotate_secret(session, "BIDV")
    return {"dossier": d, "account": account, "secret": secret, "officer": officer}


def post_notice(api: FlaskClient, body: Any, *, bank: str = "BIDV", secret: str,
                ts: int | None = None, raw: bytes | None = None) -> Any:  # fmt: skip
    data = raw if raw is not None else json.dumps(body).encode()
    stamp = str(ts if ts is not None else int(time.time()))
    return api.post(
        "/api/v1/payments/callback",
        data=data,
        content_type="application/json",
        headers={"X-Kiosk-Bank": bank, "X-Kiosk-Timestamp": stamp,
                 "X-Kiosk-Signature": money.signature(secret, stamp, data)},
    )  # fmt: skip


def paid_count(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(Payment).where(
        Payment.status == "paid")) or 0)  # fmt: skip


def fee_of(api: FlaskClient, code: str) -> Any:
    r = api.get(f"/api/v1/dossiers/{code}/payment?verify=1234")
    assert r.status_code == 200, r.get_json()
    valid(r.get_json(), "/dossiers/{code}/payment", "get", 200)
    return r.get_json()


def test_the_fee_as_a_vietqr_code_any_bank_app_reads(
    floor: Flask, setup: dict[str, Any], client: FlaskClient
) -> None:
    d = setup["dossier"]
    fee = fee_of(client, d.code)
    assert fee["amount"] == 20000 and fee["status"] == "pending" and fee["currency"] == "VND"
    decoded = QRPay(fee["vietqr"])
    assert decoded.is_valid
    assert (decoded.consumer.bank_bin, decoded.consumer.bank_number) == ("970418", "1234567890")
    assert decoded.amount == "20000" and decoded.additional_data.bill_number == fee["reference"]
    # Asked again: the same code, not a new one.
    assert fee_of(client, d.code)["reference"] == fee["reference"]
    assert client.get(f"/api/v1/dossiers/{d.code}/payment?verify=0000").status_code == 404


def test_the_banks_notification_pays(floor: Flask, setup: dict[str, Any], client: FlaskClient,
                                     session: Session) -> None:  # fmt: skip
    fee = fee_of(client, setup["dossier"].code)
    body = {"reference": fee["reference"], "amount": 20000, "bank_txn_id": "FT2611230001",
            "paid_at": "2026-11-23T10:15:00+07:00"}  # fmt: skip
    r = post_notice(client, body, secret=setup["secret"])
    assert r.status_code == 200 and r.get_json()["status"] == "paid"
    valid(r.get_json(), "/payments/callback", "post", 200)
    assert fee_of(client, setup["dossier"].code)["status"] == "paid"
    # The service index reads how it was paid from the dossier.
    session.expire_all()
    assert session.get(Dossier, setup["dossier"].id).fee_paid_by == "transfer"  # type: ignore[union-attr]
    # Replayed: nothing changes, 200.
    again = post_notice(client, body, secret=setup["secret"])
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert paid_count(session) == 1


def _refused(api: FlaskClient, db_session: Session, r: Any, status: int, outcome: str) -> None:
    assert r.status_code == status, r.get_json()
    valid(r.get_json(), "/payments/callback", "post", status)
    assert paid_count(db_session) == 0
    kept = db_session.scalars(select(PaymentNotice).order_by(PaymentNotice.id.desc())).first()
    assert kept is not None and kept.outcome == outcome and kept.reason


def test_a_forged_signature_pays_nothing(floor: Flask, setup: dict[str, Any], client: FlaskClient,
                                         session: Session) -> None:  # fmt: skip
    fee = fee_of(client, setup["dossier"].code)
    body = {"reference": fee["reference"], "amount": 20000, "bank_txn_id": "X1",
            "paid_at": "2026-11-23T10:15:00+07:00"}  # fmt: skip
    r = post_notice(client, body, secret="0" * 64)
    _refused(client, session, r, 401, "bad_signature")


def test_another_banks_secret_pays_nothing(floor: Flask, setup: dict[str, Any], client: FlaskClient,
                                           session: Session) -> None:  # fmt: skip
    other = money.rotate_secret(session, "AGRIBANK")
    fee = fee_of(client, setup["dossier"].code)
    body = {"reference": fee["reference"], "amount": 20000, "bank_txn_id": "X2",
            "paid_at": "2026-11-23T10:15:00+07:00"}  # fmt: skip
    r = post_notice(client, body, bank="BIDV", secret=other)
    _refused(client, session, r, 401, "bad_signature")
    r = post_notice(client, body, bank="VCB", secret=setup["secret"])
    _refused(client, session, r, 401, "unknown_bank")


def test_a_stale_timestamp_pays_nothing(floor: Flask, setup: dict[str, Any], client: FlaskClient,
                                        session: Session) -> None:  # fmt: skip
    fee = fee_of(client, setup["dossier"].code)
    body = {"reference": fee["reference"], "amount": 20000, "bank_txn_id": "X3",
            "paid_at": "2026-11-23T10:15:00+07:00"}  # fmt: skip
    r = post_notice(client, body, secret=setup["secret"], ts=int(time.time()) - 301)
    _refused(client, session, r, 401, "stale")
    r = post_notice(client, body, secret=setup["secret"], ts=int(time.time()) + 400)
    _refused(client, session, r, 401, "stale")


def test_a_wrong_amount_is_flagged_and_pays_nothing(
    floor: Flask, setup: dict[str, Any], client: FlaskClient, session: Session
) -> None:
    fee = fee_of(client, setup["dossier"].code)
    body = {"reference": fee["reference"], "amount": 2000, "bank_txn_id": "X4",
            "paid_at": "2026-11-23T10:15:00+07:00"}  # fmt: skip
    r = post_notice(client, body, secret=setup["secret"])
    _refused(client, session, r, 200, "flagged_amount")
    assert r.get_json()["status"] == "flagged_amount"
    # Both sums as money is written everywhere (text.format_vnd), for the person who checks.
    kept = session.scalars(select(PaymentNotice).order_by(PaymentNotice.id.desc())).first()
    assert kept is not None and kept.reason == (
        f"Số tiền {format_vnd(2000)} khác số phải nộp {format_vnd(fee['amount'])}; "
        "chờ người kiểm tra."
    )
    assert fee_of(client, setup["dossier"].code)["status"] == "pending"


def test_an_unknown_reference_is_flagged_and_pays_nothing(floor: Flask, setup: dict[str, Any],
        client: FlaskClient, session: Session) -> None:  # fmt: skip
    fee_of(client, setup["dossier"].code)
    body = {"reference": "HSNOTHING22", "amount": 20000, "bank_txn_id": "X5",
            "paid_at": "2026-11-23T10:15:00+07:00"}  # fmt: skip
    r = post_notice(client, body, secret=setup["secret"])
    _refused(client, session, r, 200, "flagged_reference")


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[]", b'{"reference": "HS1", "amount": "20000", "bank_txn_id": "X",'
     b' "paid_at": "2026-11-23T10:15:00"}', b'{"reference": "HS1", "amount": 20000}',
     b'{"reference": "HS1", "amount": 20000, "bank_txn_id": "X", "paid_at": "hom qua"}',
     b"\xff\xfe\x00"],
)  # fmt: skip
def test_a_broken_body_pays_nothing(floor: Flask, setup: dict[str, Any], client: FlaskClient,
                                    session: Session, raw: bytes) -> None:  # fmt: skip
    fee_of(client, setup["dossier"].code)
    r = post_notice(client, None, raw=raw, secret=setup["secret"])
    _refused(client, session, r, 400, "bad_body")


def test_headers_missing_or_garbage_pay_nothing(
    floor: Flask, setup: dict[str, Any], client: FlaskClient, session: Session
) -> None:
    r = client.post("/api/v1/payments/callback", data=b"{}", content_type="application/json")
    _refused(client, session, r, 401, "unknown_bank")
    r = client.post("/api/v1/payments/callback", data=b"{}", content_type="application/json",
                 headers={"X-Kiosk-Bank": "BIDV", "X-Kiosk-Timestamp": "9" * 40,
                          "X-Kiosk-Signature": "x"})  # fmt: skip
    _refused(client, session, r, 401, "stale")


def test_cash_is_recorded_by_an_officer_into_the_audit_log(floor: Flask, setup: dict[str, Any],
        session: Session) -> None:  # fmt: skip
    d = setup["dossier"]
    processor = create_user(session, "xuly", "mat-khau-dai-4", "processor", "Lê Thị Hà")
    with pytest.raises(Exception, match="quyền"):
        money.record_cash(session, d, processor, 20000)
    with pytest.raises(money.PaymentError, match="đúng bằng"):
        money.record_cash(session, d, setup["officer"], 15000)
    paid = money.record_cash(session, d, setup["officer"], 20000)
    assert paid.status == "paid" and paid.method == "cash"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.cash"))
    assert entry is not None and entry.dossier_code == d.code and entry.actor_id == setup[
        "officer"].id  # fmt: skip
    assert money.due_amount(session, d) == 0
    assert d.fee_paid_by == "cash"  # kept for the service index
    with pytest.raises(money.PaymentError, match="không còn"):
        money.record_cash(session, d, setup["officer"], 20000)
    manager = session.scalar(select(User).where(User.username == "quanly"))
    assert manager is not None
    money.refund(session, paid, manager, "Nộp nhầm")
    session.refresh(d)
    assert d.fee_paid_by == ""


def test_accounts_need_a_real_bank(floor: Flask, session: Session) -> None:
    manager = session.scalar(select(User).where(User.username == "quanly"))
    with pytest.raises(money.PaymentError, match="BIN"):
        money.add_account(session, agency=SITE, bank_bin="999999", number="1",
                             holder="X", actor=manager)  # fmt: skip
    with pytest.raises(money.PaymentError, match="19"):
        money.add_account(session, agency=SITE, bank_bin="970418", number="1" * 25,
                             holder="X", actor=manager)  # fmt: skip
    acc = money.add_account(
        session, agency=SITE, bank_bin="970405", number="1500205",
        holder="Trung tâm Phục vụ hành chính công", actor=manager,
    )  # fmt: skip
    assert acc.bank_name == "Agribank" and acc.holder == "TRUNG TAM PHUC VU HANH CHINH CONG"
    assert vietqr.parse(vietqr.build(vietqr.VietQR(acc.bank_bin, acc.number))).bin == "970405"


def test_the_banks_secret_command_prints_it_alone_on_the_last_line(floor: Flask) -> None:
    runner = floor.test_cli_runner()
    first = runner.invoke(args=["banks", "secret", "bidv"])
    assert first.exit_code == 0
    secret = first.output.strip().splitlines()[-1]
    assert len(secret) == 64 and int(secret, 16) >= 0
    rotated = runner.invoke(args=["banks", "secret", "BIDV"]).output.strip().splitlines()[-1]
    assert rotated != secret
    assert runner.invoke(args=["banks", "secret", "BI DV;"]).exit_code != 0


def test_an_old_code_paid_after_cash_is_flagged_not_paid_twice(
    floor: Flask, setup: dict[str, Any], client: FlaskClient, session: Session
) -> None:
    fee = fee_of(client, setup["dossier"].code)
    money.record_cash(session, setup["dossier"], setup["officer"], 20000)
    body = {"reference": fee["reference"], "amount": 20000, "bank_txn_id": "LATE1",
            "paid_at": "2026-11-23T10:15:00+07:00"}  # fmt: skip
    r = post_notice(client, body, secret=setup["secret"])
    assert r.status_code == 200 and r.get_json()["status"] == "flagged_refund"
    assert paid_count(session) == 1  # the cash only


def test_a_refund_reopens_the_fee(floor: Flask, setup: dict[str, Any], session: Session) -> None:
    manager = session.scalar(select(User).where(User.username == "quanly"))
    paid = money.record_cash(session, setup["dossier"], setup["officer"], 20000)
    with pytest.raises(money.PaymentError, match="lý do"):
        money.refund(session, paid, manager, "")  # type: ignore[arg-type]
    money.refund(session, paid, manager, "Thu nhầm")  # type: ignore[arg-type]
    assert paid.status == "refunded"
    assert money.due_amount(session, setup["dossier"]) == 20000


def test_nul_characters_are_refused_everywhere_and_never_stored(
    floor: Flask, setup: dict[str, Any], client: FlaskClient, session: Session
) -> None:
    # In a notification: refused as a broken body and kept (cleaned), never a 500.
    raw = b'{"reference": "HS\\u0000", "amount": 20000, "bank_txn_id": "T\\u0000", "paid_at": "x"}'
    r = post_notice(client, None, raw=raw, secret=setup["secret"])
    _refused(client, session, r, 400, "bad_body")
    # Anywhere else: refused before any view reads it.
    for r in (
        client.get("/api/v1/procedures?q=gi%00ay"),
        client.post("/api/v1/dossiers", data=b'{"procedure": "1.004222", "applicant":'
                 b' {"full_name": "A\\u0000B", "cccd": "064185001234"}}',
                 content_type="application/json"),
        client.post("/api/v1/dossiers/x/rating", json={"verify": "1234", "score": 5,
                                                     "comment": "a\x00b"}),
    ):  # fmt: skip
        assert r.status_code == 400 and "NUL" in r.get_json()["error"]["message"]
    page = client.get("/kiosk/search?q=%00")
    assert page.status_code == 400 and "NUL" in page.get_data(as_text=True)
    # In the path too (PostgreSQL answered 500 for a code or token with a NUL in it).
    for url in ("/api/v1/procedures/1.00%00", "/api/v1/tickets/ab%00c"):
        r = client.get(url)
        assert r.status_code == 400 and "NUL" in r.get_json()["error"]["message"], url
    for url in ("/kiosk/procedures/1.00%00", "/t/a%00b", "/kiosk/queue/a%00b",
                "/kiosk/station/a%00b"):  # fmt: skip
        page = client.get(url)
        assert page.status_code == 400 and "NUL" in page.get_data(as_text=True), url


def test_a_form_part_without_a_name_is_no_500(floor: Flask, client: FlaskClient) -> None:
    """Found by the API fuzzer: a multipart part with no name reached the NUL check and the
    CSRF check as the name None, and every multipart form (uploads, anonymous ones too)
    answered 500. It is refused with a message, before the CSRF check."""
    body = (b'--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n'
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n" + sample_pdf() + b"\r\n--B--\r\n")  # fmt: skip
    for url in ("/api/v1/uploads", "/kiosk/uploads", "/office/uploads"):
        r = client.post(url, data=body, content_type="multipart/form-data; boundary=B")
        assert r.status_code == 400, url
        said = r.get_json()["error"]["message"] if url.startswith("/api/") else r.get_data(
            as_text=True)  # fmt: skip
        assert "không có tên" in said, url
