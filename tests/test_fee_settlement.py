"""A fee is settled once (issue 17 hole 6), under the dossier's lock, with real concurrency:
threads, each with its own session, on SQLite and PostgreSQL. Cash at a desk racing the bank's
notification, and an expired VietQR code and its replacement both paid by the bank, end with
one paid payment; the other money is kept and flagged for refund on the daily
reconciliation and its CSV. And what an unsigned caller can make the server store is bounded
(hole 13): a rate per address, a pruned log, a body size cap."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain import catalog, dossiers
from kiosk.domain.clock import utcnow
from kiosk.domain.dossiers import workdays
from kiosk.domain.money import notifications, payments
from kiosk.models import Dossier, Payment, PaymentNotice, User

from .conftest import sign_in, valid

SITE = "000.00.01.H29"
FEE = 20000
ROUNDS = 10


@pytest.fixture
def money(floor: Flask, db_session: Session) -> dict[str, Any]:
    workdays.seed_calendar(db_session, [2026, 2027])
    manager = db_session.scalar(select(User).where(User.username == "quanly"))
    payments.add_account(db_session, agency=SITE, bank_bin="970418", number="1234567890",
                         holder="Trung tam PVHCC", actor=manager)  # fmt: skip
    return {"secret": notifications.rotate_secret(db_session, "BIDV"), "app": floor}


def new_dossier(s: Session) -> Dossier:
    officer = s.scalar(select(User).where(User.username == "canbo"))
    proc = catalog.get_procedure(s, "1.004222")  # 20,000 đ at the counter
    assert proc is not None
    applicant = dossiers.Applicant("Nguyễn Thị Hồng Nhung", "064185001234", None, "Nữ",
                                   "0905123456")  # fmt: skip
    return dossiers.receive(s, proc, applicant, channel="direct", site_code=SITE,
                            actor=officer).dossier  # fmt: skip


def notice(secret: str, reference: str, txn: str) -> tuple[str, str, bytes]:
    paid_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    body = json.dumps({"reference": reference, "amount": FEE, "bank_txn_id": txn,
                       "paid_at": paid_at}).encode()  # fmt: skip
    stamp = str(int(time.time()))
    return stamp, notifications.signature(secret, stamp, body), body


def at_once(app: Flask, *jobs: Callable[[Session], Any]) -> list[Any]:
    """Run each job in its own thread with its own session, released together; what each
    returned or raised."""
    gate = threading.Barrier(len(jobs))
    out: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        s = app.extensions["kiosk.sessionmaker"]()
        try:
            gate.wait()
            out[i] = jobs[i](s)
        except Exception as exc:  # noqa: BLE001 - what each got is asserted by the caller
            out[i] = exc
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def paid_for(s: Session, dossier_id: str) -> list[Payment]:
    s.expire_all()
    return list(s.scalars(select(Payment).where(Payment.dossier_id == dossier_id,
                                                Payment.status == "paid")))  # fmt: skip


def test_cash_racing_the_banks_notification_settles_the_fee_once(
    money: dict[str, Any], db_session: Session
) -> None:
    app, secret = money["app"], money["secret"]
    outcomes = []
    for i in range(ROUNDS):
        d = new_dossier(db_session)
        code = payments.open_payment(db_session, d)
        assert code is not None
        stamp, sign, body = notice(secret, code.reference, f"RACE{i}")

        def cash(s: Session, d_id: str = d.id) -> Any:
            officer = s.scalar(select(User).where(User.username == "canbo"))
            assert officer is not None
            return payments.record_cash(s, s.get(Dossier, d_id), officer, FEE)  # type: ignore[arg-type]

        def bank(s: Session, stamp: str = stamp, sign: str = sign, body: bytes = body) -> Any:
            return notifications.notify(s, "BIDV", stamp, sign, body)

        took, told = at_once(app, cash, bank)
        assert len(paid_for(db_session, d.id)) == 1, (i, took, told)
        assert payments.due_amount(db_session, d) == 0
        if isinstance(took, payments.PaymentError):  # the bank was first: no cash taken
            assert told.outcome == "paid", (i, told)
        else:  # the desk was first: the transfer is flagged for refund, not paid
            assert isinstance(took, Payment), took
            assert told.outcome == "flagged_refund", (i, told)
        outcomes.append(told.outcome)
    flagged = db_session.scalar(select(func.count()).select_from(PaymentNotice).where(
        PaymentNotice.outcome == "flagged_refund"))  # fmt: skip
    assert flagged == outcomes.count("flagged_refund")


def test_an_expired_code_and_its_replacement_both_paid_settle_once(
    money: dict[str, Any], db_session: Session
) -> None:
    app, secret = money["app"], money["secret"]
    for i in range(ROUNDS // 2):
        d = new_dossier(db_session)
        old = payments.open_payment(db_session, d, now=utcnow() - dt.timedelta(hours=25))
        new = payments.open_payment(db_session, d)
        assert old is not None and new is not None and old.reference != new.reference
        first, second = notice(secret, old.reference, f"OLD{i}"), notice(secret, new.reference,
                                                                           f"NEW{i}")  # fmt: skip
        told = at_once(
            app,
            lambda s, n=first: notifications.notify(s, "BIDV", *n),  # type: ignore[misc]
            lambda s, n=second: notifications.notify(s, "BIDV", *n),  # type: ignore[misc]
        )
        assert sorted(t.outcome for t in told) == ["flagged_refund", "paid"], told
        assert len(paid_for(db_session, d.id)) == 1
        # Nothing pending is left to pay a third time.
        pending = select(Payment).where(Payment.dossier_id == d.id, Payment.status == "pending")
        assert db_session.scalar(pending) is None


def test_money_arriving_when_nothing_is_owed_is_flagged_for_refund_on_the_reconciliation(
    money: dict[str, Any], api: FlaskClient, db_session: Session
) -> None:
    d = new_dossier(db_session)
    old = payments.open_payment(db_session, d, now=utcnow() - dt.timedelta(hours=25))
    new = payments.open_payment(db_session, d)
    assert old is not None and new is not None
    for reference, txn in ((old.reference, "FT-OLD"), (new.reference, "FT-NEW")):
        stamp, sign, body = notice(money["secret"], reference, txn)
        r = api.post("/api/v1/payments/callback", data=body, content_type="application/json",
                     headers={"X-Kiosk-Bank": "BIDV", "X-Kiosk-Timestamp": stamp,
                              "X-Kiosk-Signature": sign})  # fmt: skip
        assert r.status_code == 200
        valid(r.get_json(), "/payments/callback", "post", 200)
    assert r.get_json()["status"] == "flagged_refund"
    assert len(paid_for(db_session, d.id)) == 1
    manager = api.application.test_client()
    sign_in(manager, "quanly", "mat-khau-dai-2")
    page = manager.get("/office/payments").get_data(as_text=True)
    assert "FT-NEW" in page and "hoàn tiền" in page
    sheet = manager.get("/office/payments?format=csv").get_data(as_text=True)
    row = next(line for line in sheet.splitlines() if "FT-NEW" in line)
    assert "flagged_refund" in row and new.reference in row


# ---------------------------------------------------------------- unsigned notices (hole 13)


def forged(api: FlaskClient, address: str = "203.0.113.7", body: bytes = b"{}") -> Any:
    return api.post(
        "/api/v1/payments/callback", data=body, content_type="application/json",
        headers={"X-Kiosk-Bank": "BIDV", "X-Kiosk-Timestamp": str(int(time.time())),
                 "X-Kiosk-Signature": "0" * 64},
        environ_base={"REMOTE_ADDR": address},
    )  # fmt: skip


def kept(db_session: Session) -> int:
    db_session.expire_all()
    return int(db_session.scalar(select(func.count()).select_from(PaymentNotice)) or 0)


def test_unsigned_notices_from_one_address_are_capped(
    money: dict[str, Any], api: FlaskClient, db_session: Session
) -> None:
    answers = [forged(api).status_code for _ in range(notifications.REFUSED_PER_MINUTE + 5)]
    assert answers == [401] * notifications.REFUSED_PER_MINUTE + [429] * 5
    assert kept(db_session) == notifications.REFUSED_PER_MINUTE
    r = forged(api)
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    valid(r.get_json(), "/payments/callback", "post", 429)
    # Another address is refused and kept as before.
    assert forged(api, "203.0.113.8").status_code == 401
    assert kept(db_session) == notifications.REFUSED_PER_MINUTE + 1


def test_the_log_of_unsigned_notices_keeps_the_newest_only(
    money: dict[str, Any], api: FlaskClient, db_session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(notifications, "REFUSED_KEPT", 5)
    for i in range(12):  # from many addresses: the per-address rate does not stop them
        assert forged(api, f"198.51.100.{i}", body=f'{{"n": {i}}}'.encode()).status_code == 401
    rows = db_session.scalars(select(PaymentNotice).order_by(PaymentNotice.id)).all()
    assert [r.body for r in rows] == [f'{{"n": {i}}}' for i in range(7, 12)]
    assert all(r.outcome == "bad_signature" for r in rows)


def test_a_notice_body_over_the_cap_is_refused_unread(
    money: dict[str, Any], api: FlaskClient, db_session: Session
) -> None:
    r = forged(api, body=b'{"x": "' + b"a" * notifications.MAX_BODY + b'"}')
    assert r.status_code == 413
    valid(r.get_json(), "/payments/callback", "post", 413)
    assert kept(db_session) == 0
