"""A dossier's (*hồ sơ*) states, the moves between them, and its code: the rules the dossier
domain, its screens, its API and the reports share.

States follow the national portal's dossier states, each kept with the
portal's number (`NATIONAL`) so that syncing upstream is a look-up:
1 newly registered, 2 accepted, 3 not accepted, 4 processing, 5 supplement requested,
6 payment requested, 7 withdrawn by the citizen, 8 processing stopped, 9 resolved,
10 result returned.

While a dossier waits for a supplement or a payment its clock stands still (`PAUSED`);
`OPEN` states count towards "in progress" in the reports; `FINISHED` ones are done with.

Codes (Circular 01/2018/TT-VPCP): the receiving agency's identifier code, the receipt date as
YYMMDD and a 4-digit sequence for that day and agency, e.g. `000.00.01.H29-240115-0001`.
Because the agency code is in it, two sites working apart never mint the same code.
"""

from __future__ import annotations

import datetime as dt
import enum
import re

from ..text import N_


class DossierState(enum.StrEnum):
    """A dossier's state; the value is stored."""

    REGISTERED = "registered"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    PROCESSING = "processing"
    SUPPLEMENT = "supplement"
    AWAITING_PAYMENT = "awaiting_payment"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    RESOLVED = "resolved"
    RETURNED = "returned"


S = DossierState

#: The national portal's number of each state.
NATIONAL: dict[DossierState, int] = {
    S.REGISTERED: 1, S.ACCEPTED: 2, S.REFUSED: 3, S.PROCESSING: 4, S.SUPPLEMENT: 5,
    S.AWAITING_PAYMENT: 6, S.WITHDRAWN: 7, S.STOPPED: 8, S.RESOLVED: 9, S.RETURNED: 10,
}  # fmt: skip

#: What citizens and officers read (Vietnamese; surfaces translate).
LABELS: dict[DossierState, str] = {
    S.REGISTERED: N_("Mới đăng ký"),
    S.ACCEPTED: N_("Đã tiếp nhận"),
    S.REFUSED: N_("Không tiếp nhận"),
    S.PROCESSING: N_("Đang xử lý"),
    S.SUPPLEMENT: N_("Chờ bổ sung hồ sơ"),
    S.AWAITING_PAYMENT: N_("Chờ thanh toán phí, lệ phí"),
    S.WITHDRAWN: N_("Công dân rút hồ sơ"),
    S.STOPPED: N_("Dừng xử lý"),
    S.RESOLVED: N_("Đã có kết quả"),
    S.RETURNED: N_("Đã trả kết quả"),
}

#: The clock stands still in these.
PAUSED = frozenset({S.SUPPLEMENT, S.AWAITING_PAYMENT})
#: Done with: no move leaves them.
FINISHED = frozenset({S.REFUSED, S.WITHDRAWN, S.STOPPED, S.RETURNED})
#: Accepted and not yet resolved: "in progress" in the reports.
OPEN = frozenset({S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT, S.AWAITING_PAYMENT})

#: Every allowed move. Anything else is refused with `TransitionRefused`.
MOVES: dict[DossierState, frozenset[DossierState]] = {
    S.REGISTERED: frozenset({S.ACCEPTED, S.REFUSED, S.SUPPLEMENT, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.PROCESSING, S.SUPPLEMENT, S.AWAITING_PAYMENT, S.WITHDRAWN,
                           S.STOPPED, S.RESOLVED}),
    S.PROCESSING: frozenset({S.SUPPLEMENT, S.AWAITING_PAYMENT, S.WITHDRAWN, S.STOPPED,
                             S.RESOLVED}),
    S.SUPPLEMENT: frozenset({S.PROCESSING, S.ACCEPTED, S.WITHDRAWN, S.STOPPED}),
    S.AWAITING_PAYMENT: frozenset({S.PROCESSING, S.WITHDRAWN, S.STOPPED}),
    S.RESOLVED: frozenset({S.RETURNED}),
    S.REFUSED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.STOPPED: frozenset(),
    S.RETURNED: frozenset(),
}  # fmt: skip
#: Moves that must say why (*lý do*): the citizen is told.
NEEDS_REASON = frozenset({S.REFUSED, S.SUPPLEMENT, S.WITHDRAWN, S.STOPPED})


class TransitionRefused(ValueError):
    """A move the rules do not allow; the message says so in Vietnamese."""


def check_move(current: str, to: str, reason: str = "") -> DossierState:
    """The target state if a dossier in `current` may move to `to` (with `reason` where one is
    required); TransitionRefused otherwise."""
    try:
        src, dst = DossierState(current), DossierState(to)
    except ValueError as exc:
        raise TransitionRefused(f"Không có trạng thái hồ sơ {str(to)[:32]!r}.") from exc
    if dst not in MOVES[src]:
        raise TransitionRefused(
            f"Hồ sơ đang ở trạng thái “{LABELS[src]}” không thể chuyển sang “{LABELS[dst]}”."
        )
    if dst in NEEDS_REASON and not reason.strip():
        raise TransitionRefused(f"Cần ghi lý do khi chuyển hồ sơ sang “{LABELS[dst]}”.")
    return dst


AGENCY_CODE = re.compile(r"^[0-9A-Z]{2,4}(\.[0-9A-Z]{2,4}){3}$")
DOSSIER_CODE = re.compile(r"^([0-9A-Z]{2,4}(?:\.[0-9A-Z]{2,4}){3})-([0-9]{6})-([0-9]{4,})$")


def dossier_code(agency_code: str, day: dt.date, seq: int) -> str:
    """`000.00.01.H29-240115-0001`: the agency's code, the receipt date and the day's number."""
    if not AGENCY_CODE.match(agency_code):
        raise ValueError(f"mã cơ quan {agency_code!r} không đúng dạng 000.00.01.H29")
    if seq < 1:
        raise ValueError("số thứ tự hồ sơ bắt đầu từ 1")
    return f"{agency_code}-{day:%y%m%d}-{seq:04d}"


def parse_code(code: str) -> tuple[str, dt.date, int] | None:
    """The agency code, receipt date and sequence of a dossier code, or None when it is not
    one (so a typed or scanned code is checked before any look-up)."""
    text = (code or "").strip().upper()
    found = DOSSIER_CODE.match(text) if len(text) <= 32 else None
    if not found:
        return None
    agency, yymmdd, seq = found.groups()
    try:
        day = dt.datetime.strptime(yymmdd, "%y%m%d").date()
    except ValueError:
        return None
    return agency, day, int(seq)
