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
from dataclasses import dataclass

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
#: Moves made only by their own step, which records more than a reason: the result handed
#: to the citizen (`dossiers.hand_back`: who received it, the ID checked, where).
OWN_STEP = frozenset({S.RETURNED})

#: The reception's decision on a dossier filed online or by a bank agent (*tiếp nhận hồ sơ
#: trực tuyến*): the one-stop counter's officers make it (`dossier.receive`) as the
#: processing officers do (`dossier.process`); every other move is processing's.
RECEPTION = frozenset({S.ACCEPTED, S.REFUSED, S.SUPPLEMENT})


def permissions_for(current: str, to: str) -> frozenset[str]:
    """The permissions any one of which allows moving a dossier in `current` to `to`."""
    if current == S.REGISTERED and to in RECEPTION:
        return frozenset({"dossier.receive", "dossier.process"})
    return frozenset({"dossier.process"})


#: What the officer does to move a dossier into each state: the button's words (Vietnamese;
#: surfaces translate). `RESUME` names the move out of a pause back to processing.
ACTIONS: dict[DossierState, str] = {
    S.ACCEPTED: N_("Tiếp nhận"),
    S.REFUSED: N_("Từ chối tiếp nhận"),
    S.PROCESSING: N_("Chuyển xử lý"),
    S.SUPPLEMENT: N_("Trả lại, yêu cầu bổ sung"),
    S.AWAITING_PAYMENT: N_("Yêu cầu nộp phí, lệ phí"),
    S.WITHDRAWN: N_("Ghi nhận công dân rút hồ sơ"),
    S.STOPPED: N_("Dừng xử lý"),
    S.RESOLVED: N_("Ghi nhận có kết quả"),
    S.RETURNED: N_("Trả kết quả"),
}
RESUME = N_("Tiếp tục xử lý")


@dataclass(frozen=True)
class Move:
    """A move offered now: its target, the button's words, and whether it needs a reason."""

    to: DossierState
    label: str
    needs_reason: bool


def moves_now(current: str, *, fee_owed: int = 0, accepted_before: bool = True) -> list[Move]:
    """The moves that make sense for a dossier in `current` now, in the order of the states,
    each named as the officer's action (`ACTIONS`). Left out: those made by their own step
    (`OWN_STEP`); asking for a fee that is not owed; going on from a wait for the fee while
    it is still owed; and, after a supplement, the one of accepting again or processing that
    does not fit (a dossier never accepted is accepted, an accepted one goes on)."""
    src = DossierState(current)
    out = []
    for dst in DossierState:
        if dst not in MOVES[src] or dst in OWN_STEP:
            continue
        if dst == S.AWAITING_PAYMENT and fee_owed <= 0:
            continue
        if src == S.AWAITING_PAYMENT and dst == S.PROCESSING and fee_owed > 0:
            continue
        if src == S.SUPPLEMENT and dst == (S.ACCEPTED if accepted_before else S.PROCESSING):
            continue
        label = RESUME if src in PAUSED and dst == S.PROCESSING else ACTIONS[dst]
        out.append(Move(dst, label, dst in NEEDS_REASON))
    return out


# ---------------------------------------------------------------- what happens next
#
# The one source of the words that tell a citizen what happens next: the kiosk's receipt
# screen, the printed receipt and the status page (`/d/<code>`, the kiosk's look-up) all say
# them from here, so screen and paper never disagree. Vietnamese; screens translate (`N_`).


@dataclass(frozen=True)
class NextStep:
    """One line of what happens next: its words (a message id; `%(d)s` is the date) and the
    date it names, already written dd/mm/yyyy ("" when it names none)."""

    text: str
    date: str = ""

    def vietnamese(self) -> str:
        """The line in Vietnamese, as the printed receipt gives it."""
        return self.text % {"d": self.date} if self.date else self.text


#: To bring when coming for the result (every state that still has one to collect).
COME_FOR_RESULT = N_("Ngày %(d)s: đến nhận kết quả, mang theo giấy tiếp nhận và thẻ căn cước.")
#: The same while the date is not final (filed online, not accepted yet).
COME_FOR_RESULT_EXPECTED = N_(
    "Ngày %(d)s (dự kiến): đến nhận kết quả, mang theo giấy tiếp nhận và thẻ căn cước."
)
#: How to follow the dossier on a phone (the receipt screen and the paper, which carry the QR).
FOLLOW_ON_PHONE = N_(
    "Theo dõi trên điện thoại: quét mã QR “Tra cứu trên điện thoại” (trên màn hình này hoặc "
    "trên giấy), nhập 4 số cuối số CCCD hoặc số điện thoại."
)

_NEXT: dict[DossierState, tuple[str, ...]] = {
    S.REGISTERED: (N_("Cán bộ kiểm tra và tiếp nhận hồ sơ; nếu cần bổ sung, ông/bà sẽ được báo."),),
    S.ACCEPTED: (N_("Hồ sơ đã được tiếp nhận và đang chờ giải quyết; nếu cần bổ sung, "
                    "ông/bà sẽ được báo."),),
    S.PROCESSING: (N_("Hồ sơ đang được giải quyết; nếu cần bổ sung, ông/bà sẽ được báo."),),
    S.SUPPLEMENT: (N_("Cần bổ sung hồ sơ theo lý do cán bộ đã ghi (xem quá trình xử lý): mang "
                      "giấy tờ còn thiếu và giấy tiếp nhận đến quầy. Thời hạn giải quyết tạm "
                      "dừng đến khi bổ sung đủ."),),
    S.AWAITING_PAYMENT: (N_("Cần nộp phí, lệ phí: quét mã VietQR hoặc nộp tiền mặt tại quầy. "
                            "Hồ sơ được giải quyết tiếp khi đã nộp."),),
    S.RESOLVED: (N_("Đã có kết quả. Khi đến nhận, mang theo giấy tiếp nhận và thẻ căn cước."),),
    S.RETURNED: (N_("Đã trả kết quả: hồ sơ đã xong, không cần làm gì thêm."),),
    S.REFUSED: (N_("Hồ sơ không được tiếp nhận (xem lý do ở quá trình xử lý). Có thể nộp hồ sơ "
                   "mới khi đủ điều kiện, hoặc hỏi tại quầy."),),
    S.WITHDRAWN: (N_("Hồ sơ đã được rút theo đề nghị của ông/bà: không cần làm gì thêm. Có "
                     "thể nộp hồ sơ mới khi cần."),),
    S.STOPPED: (N_("Hồ sơ đã dừng giải quyết (xem lý do ở quá trình xử lý). Cần hỏi thêm, "
                   "mang giấy tiếp nhận đến quầy."),),
}  # fmt: skip
#: Late, with the apology (form 04) and its new date.
LATE_APOLOGIZED = N_(
    "Hồ sơ chậm so với ngày hẹn ban đầu; cơ quan xin lỗi ông/bà và hẹn lại ngày %(d)s: đến "
    "nhận kết quả, mang theo giấy tiếp nhận và thẻ căn cước."
)
#: Late, not yet apologized for.
LATE = N_(
    "Hồ sơ đã quá ngày hẹn %(d)s; cơ quan sẽ xin lỗi và báo ngày trả mới. Cần hỏi thêm, mang "
    "giấy tiếp nhận đến quầy."
)
#: States that still have a result to come for on a date.
_COMING = frozenset({S.REGISTERED, S.ACCEPTED, S.PROCESSING})


def next_steps(
    state: str,
    due: dt.date | None = None,
    *,
    apologized: bool = False,
    late: bool = False,
    follow: bool = False,
) -> list[NextStep]:
    """What happens next for a dossier in `state`, line by line, for the citizen: what the
    office does or what the citizen must do, then, while the result is still to come, the
    date `due` to come for it (expected only while `registered`; the apology's new date when
    `apologized`; `late` when the date has passed without one). `follow` adds how to follow
    it on a phone (for the receipt, screen and paper, which carry the QR)."""
    src = DossierState(state)
    day = due.strftime("%d/%m/%Y") if due else ""
    out = [NextStep(text) for text in _NEXT[src]]
    if src in _COMING and day:
        if apologized:
            out.append(NextStep(LATE_APOLOGIZED, day))
        elif late:
            out.append(NextStep(LATE, day))
        else:
            expected = src == S.REGISTERED
            out.append(NextStep(COME_FOR_RESULT_EXPECTED if expected else COME_FOR_RESULT, day))
    if follow and src not in FINISHED:
        out.append(NextStep(FOLLOW_ON_PHONE))
    return out


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
    if dst in OWN_STEP:
        raise TransitionRefused(
            "Trả kết quả bằng mục “Trả kết quả”: ghi người nhận và giấy tờ tùy thân đã kiểm tra."
        )
    if dst in NEEDS_REASON and not reason.strip():
        raise TransitionRefused(
            f"Cần ghi lý do khi chuyển hồ sơ sang “{LABELS[dst]}” ({ACTIONS[dst]})."
        )
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
