"""The print-outs by kind (*loại phiếu in*): each one's data, what a print job keeps of it, and
the layout that draws it (`PRINTOUTS`), as `transports.TRANSPORTS` lists the transports.

Light on purpose: it imports no drawing code (Pillow, qrcode, python-escpos), so the web
workers can describe a print-out (`to_json`) in the transaction that writes its job, and only
the spooler loads `layouts` when it draws one (`draw`). A new print-out is its data class here,
its entry in `PRINTOUTS`, and its layout function in `layouts.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .page import Job


@dataclass(frozen=True)
class TicketData:
    """A queue ticket (*phiếu số thứ tự*)."""

    site_name: str
    service: str
    number: str
    people_ahead: int
    issued_at: dt.datetime
    url: str
    estimated_wait_minutes: int | None = None
    priority: bool = False


@dataclass(frozen=True)
class ReceiptData:
    """*Giấy tiếp nhận hồ sơ và hẹn trả kết quả* (form 01)."""

    site_name: str
    dossier_code: str
    procedure: str
    applicant: str
    documents: Sequence[str]
    received_at: dt.datetime
    due_date: dt.date
    status_url: str
    officer: str = ""
    fee_vnd: int = 0
    #: Why the fee is a reduced one (the catalog's rule chosen for the citizen); "" for the
    #: general fee, which prints nothing more.
    fee_reason: str = ""
    #: Filed online and not yet accepted: the date is the one it would be due if accepted now.
    provisional: bool = False
    #: What happens next, line by line, in the words of the receipt screen and the status
    #: page (the application's `dossiers.next_steps`); none prints the general reminder.
    next_steps: Sequence[str] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class FeeData:
    """A fee slip with its VietQR payload."""

    site_name: str
    dossier_code: str
    procedure: str
    payer: str
    amount_vnd: int
    vietqr_payload: str
    bank_name: str
    account_number: str
    account_name: str
    issued_at: dt.datetime


@dataclass(frozen=True)
class CashData:
    """*Biên nhận thu tiền*: a fee paid in cash at a counter or a bank branch."""

    site_name: str
    #: Where the money was taken: the branch (for an agent) or the center.
    place: str
    reference: str
    dossier_code: str
    procedure: str
    payer: str
    amount_vnd: int
    collector: str
    paid_at: dt.datetime
    status_url: str = ""
    #: Why the amount is a reduced fee (`ReceiptData.fee_reason`); "" prints nothing more.
    fee_reason: str = ""


@dataclass(frozen=True)
class ApologyData:
    """*Phiếu xin lỗi và hẹn lại ngày trả kết quả* (form 04)."""

    site_name: str
    dossier_code: str
    procedure: str
    applicant: str
    original_due: dt.date
    new_due: dt.date
    reason: str
    issued_at: dt.datetime
    officer: str = ""
    status_url: str = ""


@dataclass(frozen=True)
class AuthorizationData:
    """*Giấy ủy quyền*: a citizen authorizes a bank branch, as public service agent, to file one
    procedure for them, and consents to the use of their personal data for it (Decree
    13/2023). Printed for signing; the signed paper is scanned back and kept with the dossier."""

    site_name: str
    branch_name: str
    agent: str
    citizen: str
    cccd: str
    address: str
    phone: str
    procedure: str
    procedure_code: str
    reference: str
    issued_at: dt.datetime
    birth_date: dt.date | None = None


Data = TicketData | ReceiptData | FeeData | CashData | ApologyData | AuthorizationData


@dataclass(frozen=True)
class Printout:
    """A kind of print-out: its name (the print job's `kind`), its data class, and the name of
    the function in `printers.layouts` that draws it (`fn(data, width) -> Job`)."""

    kind: str
    data: type[Data]
    layout: str


#: Every print-out a job can carry, by kind.
PRINTOUTS: dict[str, Printout] = {
    p.kind: p
    for p in (
        Printout("ticket", TicketData, "ticket"),
        Printout("receipt", ReceiptData, "receipt"),
        Printout("fee", FeeData, "fee_slip"),
        Printout("cash", CashData, "cash_receipt"),
        Printout("apology", ApologyData, "apology"),
        Printout("authorization", AuthorizationData, "authorization"),
    )
}
_BY_CLASS: dict[type, Printout] = {p.data: p for p in PRINTOUTS.values()}


def kind_of(data: Data) -> str:
    """The kind of print-out `data` is for (`PRINTOUTS`)."""
    return _BY_CLASS[type(data)].kind


def to_json(data: Data) -> dict[str, Any]:
    """The data as a print job keeps it: JSON values, dates and times in ISO 8601."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if isinstance(value, dt.date):  # a datetime too
            value = value.isoformat()
        elif isinstance(value, Sequence) and not isinstance(value, str):
            value = list(value)
        out[f.name] = value
    return out


def from_json(kind: str, fields: dict[str, Any]) -> Data:
    """The data of a print-out of `kind` back from a job (ValueError: an unknown kind, or data
    that does not fit it)."""
    printout = PRINTOUTS.get(kind)
    if printout is None:
        raise ValueError(f"unknown layout {kind!r}")
    try:
        values = dict(fields)
        hints = typing.get_type_hints(printout.data)
        for name, hint in hints.items():
            if name not in values:
                continue
            if hint is dt.datetime:
                values[name] = dt.datetime.fromisoformat(values[name])
            elif hint is dt.date:
                values[name] = dt.date.fromisoformat(values[name])
            elif hint == dt.date | None and values[name]:
                values[name] = dt.date.fromisoformat(values[name])
        return printout.data(**values)
    except (KeyError, TypeError) as exc:  # a job the spooler cannot draw: say so, keep it
        raise ValueError(f"{kind} data unusable: {exc}") from exc


def draw(data: Data, width: int) -> Job:
    """The print-out drawn at `width` dots, by its kind's layout (loaded now)."""
    layouts = importlib.import_module(".layouts", __package__)
    fn = getattr(layouts, _BY_CLASS[type(data)].layout)
    job: Job = fn(data, width)
    return job
