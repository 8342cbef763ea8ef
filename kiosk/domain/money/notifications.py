"""The banks' signed payment notifications (*thông báo giao dịch*): the only way a transfer
marks a payment paid.

A notification is signed with its bank's secret (`rotate_secret`, `kiosk banks secret`):
HMAC-SHA256 over `<timestamp>.<raw body>`, compared in constant time, within `CLOCK_SKEW` of
now. Every signed one, accepted or refused, is kept with its outcome and reason
(`PaymentNotice`); unsigned ones in a bounded log (`REFUSED_KEPT`, and `REFUSED_PER_MINUTE`
per address). What is owed is read and the payment settled under the dossier's lock, as for
cash (see `payments`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ...models import BankPartner, Dossier, Payment, PaymentNotice
from .. import outbox
from ..accounts import throttle
from ..clock import utcnow
from ..text import format_vnd
from .payments import PaymentError, _hold, _settle, due_amount, find
from .states import PaymentState

#: A notification's timestamp may differ from our clock by this much, no more.
CLOCK_SKEW = dt.timedelta(minutes=5)
#: Refusals of notifications nobody signed (an unknown bank, a bad timestamp or signature):
#: the newest this many are kept, older ones are pruned.
REFUSED_KEPT = 1000
#: ... and one address gets this many refusals a minute; more are answered 429, not stored.
REFUSED_PER_MINUTE = 20
#: The largest notification body read; a bank's is a few hundred bytes.
MAX_BODY = 8192
UNSIGNED = ("unknown_bank", "bad_timestamp", "stale", "bad_signature")


def rotate_secret(session: Session, code: str) -> str:
    """Create or replace the secret a bank signs its notifications with; the new secret."""
    code = code.strip().upper()
    if not code.isalnum() or len(code) > 16:
        raise PaymentError("Mã ngân hàng gồm chữ và số, tối đa 16 ký tự (ví dụ BIDV).")
    secret = secrets.token_hex(32)
    partner = session.get(BankPartner, code) or BankPartner(code=code)
    partner.secret = secret
    partner.rotated_at = utcnow()
    session.add(partner)
    session.commit()
    return secret


# ---------------------------------------------------------------- the bank's notification


@dataclass(frozen=True)
class Notice:
    """How a notification was answered: the HTTP status, a code and the reason."""

    status: int
    outcome: str
    reason: str
    payment: Payment | None = None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of `<timestamp>.<raw body>` with the bank's secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _printable(value: Any) -> Any:
    """A value as it may be stored: no NUL or other control characters (PostgreSQL refuses
    NUL), whatever a caller sent."""
    if not isinstance(value, str):
        return value
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in value)


def _keep(session: Session, **fields: Any) -> None:
    clean = {k: _printable(v) for k, v in fields.items()}
    session.add(PaymentNotice(received_at=utcnow(), **clean))
    session.commit()


def _keep_unsigned(session: Session, client: str, **fields: Any) -> bool:
    """Keep the refusal of a notification nobody signed, in a bounded log: False (nothing
    kept) once `client` has had `REFUSED_PER_MINUTE` refusals in the last minute; otherwise
    it is kept (its body cut to 500 characters) and only the newest `REFUSED_KEPT` are."""
    if not throttle.allow(session, "bank_refused", client, REFUSED_PER_MINUTE):
        return False
    _keep(session, **fields)
    oldest_kept = session.scalar(
        select(PaymentNotice.id)
        .where(PaymentNotice.outcome.in_(UNSIGNED))
        .order_by(PaymentNotice.id.desc())
        .offset(REFUSED_KEPT - 1)
        .limit(1)
    )
    if oldest_kept is not None:
        session.execute(
            delete(PaymentNotice).where(
                PaymentNotice.outcome.in_(UNSIGNED), PaymentNotice.id < oldest_kept
            )
        )
        session.commit()
    return True


def notify(
    session: Session,
    bank_code: str,
    timestamp: str,
    sign: str,
    body: bytes,
    *,
    now: dt.datetime | None = None,
    client: str = "",
) -> Notice:
    """Handle one notification from a bank (see the module's docstring), sent from the address
    `client`. Nothing is paid unless the signature, the clock, the reference and the amount
    all agree and the dossier still owes the amount, read under its lock."""
    now = now or utcnow()
    bank_code = _printable((bank_code or "").strip().upper()[:16])
    partner = session.get(BankPartner, bank_code) if bank_code else None

    def refuse(status: int, outcome: str, reason: str, **extra: Any) -> Notice:
        _keep(session, bank_code=bank_code, outcome=outcome, reason=reason,
              body=body[:2000].decode("utf-8", "replace"), **extra)  # fmt: skip
        return Notice(status, outcome, reason)

    def unsigned(outcome: str, reason: str) -> Notice:
        cut = body[:500].decode("utf-8", "replace")
        kept = _keep_unsigned(session, client, bank_code=bank_code, outcome=outcome,
                              reason=reason, body=cut)  # fmt: skip
        if not kept:
            return Notice(429, "too_many", "Quá nhiều thông báo bị từ chối từ địa chỉ này; "
                          "vui lòng thử lại sau 1 phút.")  # fmt: skip
        return Notice(401, outcome, reason)

    if partner is None:
        return unsigned("unknown_bank", "Ngân hàng không có trong danh sách đối tác.")
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return unsigned("bad_timestamp", "X-Kiosk-Timestamp phải là số giây Unix.")
    moment = dt.datetime.fromtimestamp(sent, dt.UTC).replace(tzinfo=None) if abs(sent) < 2**37 \
        else None  # fmt: skip
    if moment is None or abs(moment - now) > CLOCK_SKEW:
        return unsigned("stale", "Thời điểm ký lệch quá 5 phút so với máy chủ.")
    expected = signature(partner.secret, timestamp.strip(), body)
    if not hmac.compare_digest(expected.encode(), (sign or "").strip().encode()):
        return unsigned("bad_signature", "Chữ ký không đúng.")
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError
        reference = data["reference"]
        amount = data["amount"]
        txn = data["bank_txn_id"]
        paid_at = dt.datetime.fromisoformat(str(data["paid_at"]))
        if not (isinstance(reference, str) and isinstance(txn, str) and 0 < len(txn) <= 64):
            raise ValueError
        if not (reference.isprintable() and txn.isprintable()):
            raise ValueError
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return refuse(400, "bad_body", "Thân thông báo phải là JSON {reference, amount, "
                      "bank_txn_id, paid_at} đúng kiểu.")  # fmt: skip
    if paid_at.tzinfo is not None:
        paid_at = paid_at.astimezone(dt.UTC).replace(tzinfo=None)
    payment = find(session, reference)
    record = {"bank_txn_id": txn, "reference": reference[:25], "amount": amount}
    if payment is not None:  # settlements of this dossier follow one another from here
        _hold(session, payment.dossier_id)
    seen = session.scalar(
        select(PaymentNotice.id).where(
            PaymentNotice.bank_code == bank_code, PaymentNotice.bank_txn_id == txn,
            PaymentNotice.outcome.in_(("paid", "flagged_reference", "flagged_amount",
                                       "flagged_state", "flagged_refund")),
        )
    )  # fmt: skip
    if seen is not None:
        return refuse(200, "duplicate", "Giao dịch này đã nhận trước đó; không thay đổi gì.",
                      **record)  # fmt: skip
    if payment is None:
        return refuse(200, "flagged_reference", "Không có khoản thanh toán với mã này; chờ "
                      "người kiểm tra.", **record)  # fmt: skip
    if amount != payment.amount_vnd:
        return refuse(200, "flagged_amount", f"Số tiền {format_vnd(amount)} khác số phải "
                      f"nộp {format_vnd(payment.amount_vnd)}; chờ người kiểm tra.",
                      payment_id=payment.id,
                      **record)  # fmt: skip
    status = session.scalar(select(Payment.status).where(Payment.id == payment.id))
    if status == PaymentState.REFUNDED:
        return refuse(200, "flagged_state", "Khoản thanh toán này đã được hoàn; chờ người kiểm "
                      "tra (có thể phải hoàn tiền).", payment_id=payment.id, **record)  # fmt: skip
    dossier = session.get(Dossier, payment.dossier_id)
    if status == PaymentState.PAID or dossier is None or due_amount(session, dossier) < amount:
        # Settled already (cash, another code, this code by another transfer): the money is
        # kept on record and given back, never counted as a second fee.
        return refuse(200, "flagged_refund", "Hồ sơ đã nộp đủ phí trước khi nhận khoản này; "
                      "cần hoàn tiền cho người nộp.", payment_id=payment.id, **record)  # fmt: skip
    session.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(status=PaymentState.PAID, paid_at=paid_at, bank_code=bank_code, bank_txn_id=txn)
    )
    session.execute(  # its other codes are no longer to be paid
        update(Payment)
        .where(Payment.dossier_id == payment.dossier_id, Payment.status == PaymentState.PENDING)
        .values(status=PaymentState.EXPIRED)
    )
    _settle(session, payment.dossier_id)
    session.refresh(payment)
    outbox.payment(session, "payment.paid", payment)
    session.add(PaymentNotice(received_at=utcnow(), bank_code=bank_code, outcome="paid",
                              reason="", body=_printable(body[:2000].decode("utf-8", "replace")),
                              payment_id=payment.id, **record))  # fmt: skip
    session.commit()
    session.refresh(payment)
    return Notice(200, "paid", "", payment)
