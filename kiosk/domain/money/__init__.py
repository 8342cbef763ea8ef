"""Money (*phí, lệ phí*): what a dossier owes, how it is paid, and where the money goes.

- `payments`: the payment of a dossier's fee (a VietQR code, cash at a desk, a refund), the
  collecting agencies' bank accounts, and the print-outs (fee slip, cash receipt); every fee
  settled under the dossier's lock;
- `notifications`: the banks' signed notifications, the only way a transfer pays, and the
  banks' secrets;
- `vietqr`: the VietQR (EMVCo) payload builder and strict parser;
- `remittances`: cash taken by a bank branch and its hand-over to the agency;
- `reconciliation`: the daily reconciliation per account.

Callers use `kiosk.domain.money`, and `money.vietqr` and `money.reconciliation` by name.
"""

from __future__ import annotations

from . import reconciliation, vietqr
from .notifications import (
    CLOCK_SKEW,
    MAX_BODY,
    REFUSED_KEPT,
    REFUSED_PER_MINUTE,
    UNSIGNED,
    Notice,
    notify,
    rotate_secret,
    signature,
)
from .payments import (
    STATES,
    VALID_FOR,
    Bank,
    FeeState,
    PaymentError,
    account_for,
    add_account,
    banks,
    cash_receipt_job,
    due_amount,
    fee_slip_job,
    fee_state,
    find,
    open_payment,
    paid_amount,
    payee,
    record_cash,
    refund,
)
from .remittances import remit, unremitted
from .states import PaymentState

__all__ = [
    "CLOCK_SKEW", "MAX_BODY", "REFUSED_KEPT", "REFUSED_PER_MINUTE", "STATES", "UNSIGNED",
    "VALID_FOR", "Bank", "FeeState", "Notice", "PaymentError", "PaymentState", "account_for",
    "add_account", "banks",
    "cash_receipt_job", "due_amount", "fee_slip_job", "fee_state", "find", "notify", "open_payment",
    "paid_amount", "payee", "reconciliation", "record_cash", "refund", "remit", "rotate_secret",
    "signature", "unremitted", "vietqr",
]  # fmt: skip
