"""A payment's states (*trạng thái thanh toán*), kept in `payment.status` as their values."""

from __future__ import annotations

import enum


class PaymentState(enum.StrEnum):
    """A payment's state; the value is stored. Equal to the plain strings (templates compare
    with them)."""

    #: Waiting for the bank's notification (a VietQR code shown or printed).
    PENDING = "pending"
    PAID = "paid"
    #: Replaced by a newer code, or the fee was settled another way.
    EXPIRED = "expired"
    #: Paid, then the money went back to the payer: the dossier owes its fee again.
    REFUNDED = "refunded"
