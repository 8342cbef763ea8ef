"""Payment endpoints of the JSON API: a dossier's fee and its VietQR code for the citizen, and
the banks' signed notifications."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from ..domain import money
from ..models import Dossier
from ..view_helpers import db, elsewhere
from . import bp, error
from .dossiers import citizen_dossier


def payment_json(p: Any, owed: int) -> dict[str, Any]:
    return {
        "amount": p.amount_vnd if p is not None else owed,
        "currency": "VND",
        "reference": p.reference if p is not None else None,
        "status": p.status if p is not None else money.PaymentState.PAID,
        "vietqr": p.payload if p is not None else None,
    }


@bp.get("/dossiers/<code>/payment")
def dossier_payment(code: str) -> Any:
    """The fee still owed, with its reference and VietQR payload, for the citizen who proves
    they know the dossier (the last 4 digits of the CCCD or phone), as the status page."""
    found = citizen_dossier(code, request.args.get("verify"))
    if not isinstance(found, Dossier):
        return found
    if why := elsewhere(found):  # another site's, at the province's hub: paid at that site
        return error(409, "read_only_elsewhere", why)
    if found.fee_vnd == 0:
        return {"amount": 0, "currency": "VND", "reference": None, "status": "none",
                "vietqr": None}  # fmt: skip
    try:
        pending = money.open_payment(db(), found)
    except money.PaymentError as exc:
        return error(409, "no_account", str(exc))
    if pending is None:  # nothing owed: the last payment that settled it
        body = payment_json(money.fee_state(db(), found).last_paid, found.fee_vnd)
        body["vietqr"] = None
        return body
    return payment_json(pending, pending.amount_vnd)


@bp.post("/payments/callback")
def payment_callback() -> Any:
    """A bank's notification that a transfer arrived (see `domain.money.notify`). A body
    over `money.MAX_BODY` is refused before it is read (a bank's is a few hundred bytes)."""
    too_big = (request.content_length or 0) > money.MAX_BODY
    raw = b"" if too_big else request.stream.read(money.MAX_BODY + 1)
    if too_big or len(raw) > money.MAX_BODY:
        return error(413, "too_large", f"Thông báo dài quá {money.MAX_BODY} byte.")
    try:
        notice = money.notify(
            db(),
            request.headers.get("X-Kiosk-Bank", ""),
            request.headers.get("X-Kiosk-Timestamp", ""),
            request.headers.get("X-Kiosk-Signature", ""),
            raw,
            client=request.remote_addr or "",
        )
    except Exception:  # noqa: BLE001 - a bank never sees a 500: it retries a 503 later
        db().rollback()
        current_app.logger.exception("payment callback failed")
        resp, status = error(503, "retry", "Tạm thời không xử lý được; vui lòng gửi lại sau.")
        resp.headers["Retry-After"] = "60"
        return resp, status
    if notice.status == 429:
        resp, status = error(429, notice.outcome, notice.reason)
        resp.headers["Retry-After"] = "60"
        return resp, status
    if notice.status >= 400:
        return error(notice.status, notice.outcome, notice.reason)
    return {"status": notice.outcome, "message": notice.reason or "Đã ghi nhận thanh toán."}
