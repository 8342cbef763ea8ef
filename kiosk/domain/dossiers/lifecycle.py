"""A dossier's moves through the national states, the apology with its new date (form 04)
and the hand-back of the result, each recorded with who, when and why.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session

from printers.printouts import ApologyData

from ...models import (
    Dossier,
    DossierEvent,
    Upload,
    User,
)
from .. import outbox
from ..accounts import audit
from ..accounts.roles import can, require
from ..citizen_id import CccdError, check_number
from ..clock import VIETNAM, local, stored, utcnow, wall_clock
from ..money import payments  # (a module: money imports dossiers too)
from ..printing.jobs import printout_job
from ..text import TextRefused, clean_text, format_vnd, full_name_problem
from . import uploads, workdays
from .reading import branch_of, promised, visible
from .receiving import ReceiptPrint
from .states import (
    LABELS,
    OPEN,
    PAUSED,
    DossierState,
    TransitionRefused,
    check_move,
    permissions_for,
)

S = DossierState


def _clock_start(dossier: Dossier) -> dt.datetime:
    """When the dossier's clock started: its first acceptance."""
    for ev in dossier.events:
        if ev.to_status == S.ACCEPTED:
            return ev.at
    return dossier.received_at


def _pauses(dossier: Dossier, tz: dt.tzinfo) -> list[workdays.Pause]:
    pauses: list[workdays.Pause] = []
    started: dt.datetime | None = None
    for ev in dossier.events:
        if ev.to_status in PAUSED and started is None:
            started = ev.at
        elif ev.to_status not in PAUSED and started is not None:
            pauses.append(workdays.Pause(wall_clock(started, tz), wall_clock(ev.at, tz)))
            started = None
    if started is not None:
        pauses.append(workdays.Pause(wall_clock(started, tz)))
    return pauses


def _event(
    session: Session, dossier: Dossier, actor: User, at: dt.datetime, source: str, target: str,
    reason: str,
) -> DossierEvent:  # fmt: skip
    """A line of the dossier's timeline, with its due time as it stands, added to the session
    (and appended to `dossier.events`, in order, by the relationship)."""
    event = DossierEvent(
        dossier=dossier, at=at, actor_id=actor.id, actor_name=actor.full_name,
        from_status=source, to_status=target, reason=reason, due_at=dossier.due_at,
    )  # fmt: skip
    session.add(event)
    return event


def _note(text: str, label: str, *, multiline: bool = True) -> str:
    """What staff typed, as the citizen reads and the apology prints it (`text.clean_text`)."""
    try:
        return clean_text(text, label, multiline=multiline)
    except TextRefused as exc:
        raise TransitionRefused(str(exc)) from exc


def move(
    session: Session,
    dossier: Dossier,
    to: str,
    actor: User,
    reason: str = "",
    *,
    now: dt.datetime | None = None,
    tz: dt.tzinfo = VIETNAM,
    calendar: workdays.Calendar | None = None,
    result: Upload | None = None,
) -> Dossier:
    """Move `dossier` to `to`; TransitionRefused (a message) if the rules do not allow it.
    On resolution, `result` is the digitized result (*kết quả số hóa*), attached in the same
    transaction. Who may: processing, and for the reception's decision on a dossier filed
    online (`states.RECEPTION`) the counter too (`states.permissions_for`)."""
    if not any(can(actor, p) for p in permissions_for(dossier.status, to)):
        require(actor, "dossier.process")  # the refusal, in its words
    reason = _note(reason, "Lý do")
    if len(reason) > 2000:
        raise TransitionRefused("Lý do dài quá 2.000 ký tự.")
    if result is not None and (to != S.RESOLVED or result.dossier_id is not None):
        raise TransitionRefused("Chỉ đính kèm kết quả số hóa khi hồ sơ có kết quả.")
    now = now or utcnow()
    try:
        target = check_move(dossier.status, to, reason)
        source = dossier.status
        dossier.status = target
        event = _event(session, dossier, actor, now, source, target, reason.strip())
        if target == S.ACCEPTED or (source in PAUSED and target in OPEN - PAUSED):
            calendar = calendar if calendar is not None else workdays.load_calendar(session)
            due = workdays.due_with_pauses(
                wall_clock(_clock_start(dossier), tz),
                float(dossier.processing_days),
                _pauses(dossier, tz),
                calendar,
            )
            dossier.due_at = stored(due, tz) if due is not None else None
        if target in (S.RESOLVED, S.REFUSED, S.WITHDRAWN, S.STOPPED):
            dossier.closed_at = now
        if target == S.RESOLVED:
            dossier.resolved_at = now
            if result is not None:
                uploads.attach([(uploads.RESULT, result)], dossier)
        elif target == S.RETURNED:
            dossier.returned_at = now
        event.due_at = dossier.due_at
        outbox.dossier_moved(session, dossier, event)  # as it stands now, due date and all
        if target == S.RESOLVED and result is not None:
            outbox.papers(session, dossier, [result])
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return dossier


def progress(dossier: Dossier, now: dt.datetime | None = None, tz: dt.tzinfo = VIETNAM) -> str:
    """Where the dossier stands against its due date, as the reports count it: `early`,
    `on_time` or `late` once resolved; `within` or `overdue` while open; `paused`; or ``
    when its clock has not started or it ended without a result."""
    now = now or utcnow()
    if dossier.resolved_at is not None and dossier.due_at is not None:
        return workdays.classify_resolved(
            wall_clock(dossier.resolved_at, tz), wall_clock(dossier.due_at, tz)
        )
    if dossier.status in PAUSED:
        return "paused"
    if dossier.status in OPEN and dossier.due_at is not None:
        return "overdue" if now > dossier.due_at else "within"
    return ""


# ---------------------------------------------------------------- apology (form 04)


def apologize(
    session: Session,
    dossier: Dossier,
    actor: User,
    new_date: dt.date,
    reason: str,
    *,
    now: dt.datetime | None = None,
    tz: dt.tzinfo = VIETNAM,
    calendar: workdays.Calendar | None = None,
    print_on: ReceiptPrint | None = None,
) -> Dossier:
    """Record the apology for a dossier that will be late, with its new date for the result
    (form 04), and write its print job in the same transaction."""
    require(actor, "dossier.process")
    reason = _note(reason, "Lý do chậm")
    if dossier.status not in OPEN:
        raise TransitionRefused("Chỉ xin lỗi, hẹn lại cho hồ sơ đang giải quyết.")
    if not reason:
        raise TransitionRefused("Cần ghi lý do chậm trả kết quả.")
    if len(reason) > 1000:
        raise TransitionRefused("Lý do dài quá 1.000 ký tự.")
    now = now or utcnow()
    current = promised(dossier)
    floor = local(current, tz).date() if current else wall_clock(now, tz).date()
    if new_date <= floor:
        raise TransitionRefused(
            f"Ngày hẹn mới phải sau ngày hẹn hiện tại ({floor.strftime('%d/%m/%Y')})."
        )
    calendar = calendar if calendar is not None else workdays.load_calendar(session)
    if not calendar.is_working_day(new_date):
        raise TransitionRefused("Ngày hẹn mới phải là ngày làm việc.")
    try:
        close = workdays.OfficeHours().closing
        dossier.promised_at = stored(dt.datetime.combine(new_date, close), tz)
        note = f"Hẹn lại ngày {new_date.strftime('%d/%m/%Y')}. Lý do: {reason}"
        event = _event(session, dossier, actor, now, dossier.status, dossier.status, note)
        outbox.dossier_moved(session, dossier, event)
        if print_on is not None:
            data = ApologyData(
                site_name=print_on.site_name,
                dossier_code=dossier.code,
                procedure=dossier.procedure_name,
                applicant=dossier.applicant_name,
                original_due=local(current or now, tz).date(),
                new_due=new_date,
                reason=reason,
                issued_at=wall_clock(now, tz),
                officer=actor.full_name,
                status_url=print_on.link(dossier.code),
            )
            session.add(printout_job(print_on.printer, f"Xin lỗi {dossier.code}", data))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return dossier


#: The IDs a receiver may show, and how their number looks (`hand_back`).
ID_KINDS: dict[str, str] = {"cccd": "CCCD", "passport": "hộ chiếu"}
_PASSPORT = re.compile(r"[A-Z][0-9]{7,8}")
#: Where a result was handed back (`DossierEvent.place`): the center, or a branch by its code.
CENTER = "center"


def hand_back_place(dossier: Dossier) -> str:
    """Where this dossier's result is handed back unless the citizen comes to the center: the
    branch it was filed at (`branch:<code>`), else the center."""
    return f"branch:{dossier.branch_code}" if dossier.branch_code else CENTER


class HandBackInvalid(TransitionRefused):
    """What the hand-back was told is not right (the receiver's name, the ID's kind or number,
    the place named), every error at once: `errors` by field (`receiver.name`,
    `receiver.id_kind`, `receiver.id_number`, `place`), so a form or the API can show each
    beside its field; `field` and the message are the first one's."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = dict(errors)
        self.field = next(iter(errors))


class FeeOwed(TransitionRefused):
    """The result is not handed back while the dossier still owes its fee (`owed`, đồng)."""

    def __init__(self, owed: int) -> None:
        super().__init__(
            f"Hồ sơ còn nợ phí, lệ phí {format_vnd(owed)}: thu phí trước khi trả kết quả."
        )
        self.owed = owed


def _where_words(place: str) -> str:
    return (
        "tại trung tâm" if place == CENTER else f"tại điểm đại lý {place.removeprefix('branch:')}"
    )


def hand_back_note(receiver: str, id_kind: str, number: str, place: str) -> str:
    """The hand-back's line on the timeline, as recorded (`DossierEvent.reason`)."""
    return (
        f"Trả cho {receiver}, đã kiểm tra {ID_KINDS[id_kind]} số {number}, {_where_words(place)}."
    )


def _checked_id(kind: str, number: str) -> str:
    """The ID's number, cleaned, if it can be one of that kind (a CCCD by its own rules);
    HandBackInvalid saying what is wrong otherwise (the kind and the number each)."""
    number = re.sub(r"[\s.-]", "", number or "").upper()
    field = "receiver.id_number"
    errors: dict[str, str] = {}
    if kind not in ID_KINDS:
        errors["receiver.id_kind"] = "Chọn loại giấy tờ tùy thân đã kiểm tra (CCCD hoặc hộ chiếu)."
    if not number:
        errors[field] = "Ghi số giấy tờ tùy thân đã kiểm tra (CCCD, hộ chiếu)."
    elif kind == "cccd":
        try:
            return check_number(number)
        except CccdError as exc:
            errors[field] = f"Số CCCD đã kiểm tra của người nhận chưa đúng: {exc}"
    elif kind in ID_KINDS and not _PASSPORT.fullmatch(number):
        errors[field] = "Số hộ chiếu gồm một chữ cái và 7 hoặc 8 chữ số, ví dụ C1234567."
    if errors:
        raise HandBackInvalid(errors)
    return number


def hand_back(
    session: Session,
    dossier: Dossier,
    actor: User,
    receiver: str,
    id_checked: str,
    *,
    id_kind: str = "cccd",
    at_center: bool = False,
    place: str | None = None,
    now: dt.datetime | None = None,
) -> Dossier:
    """Hand the result to the citizen (*trả kết quả*), the one way a dossier becomes
    `returned`: who received it, which ID was checked (a CCCD by its rules), by whom and where,
    on the timeline and in the audit log. By the center's staff, or by an agent of the
    dossier's own branch; the dossier must have its result. An agent's dossier is handed back
    at its branch, and at the center only when the citizen comes there (`at_center`, or
    `place` = `center`). `place`, when the caller names it (`center`, `branch:<code>`), must
    be where the rule puts the hand-back. Never while the fee is owed (FeeOwed, a
    TransitionRefused: the fee is collected first). What was told wrong raises
    HandBackInvalid (every error by its field; the receiver's name a full name by
    `text.full_name_problem`); a hand-back the rule refuses, TransitionRefused; an account
    without the right, Forbidden."""
    if visible(session, actor, dossier.code) is None:
        raise TransitionRefused("Không tìm thấy hồ sơ.")
    require(actor, "dossier.hand_back")
    if dossier.status != S.RESOLVED:
        raise TransitionRefused(f"Hồ sơ đang “{LABELS[DossierState(dossier.status)]}”, chưa có "
                                "kết quả để trả.")  # fmt: skip
    owed = payments.due_amount(session, dossier)
    if owed > 0:
        raise FeeOwed(owed)
    errors: dict[str, str] = {}
    receiver = " ".join(receiver.split())
    if not receiver:
        errors["receiver.name"] = "Ghi họ tên người nhận kết quả."
    else:
        try:
            receiver = _note(receiver, "Họ tên người nhận", multiline=False)
        except TransitionRefused as exc:
            errors["receiver.name"] = str(exc)
        else:
            if problem := full_name_problem(receiver):
                errors["receiver.name"] = f"Họ tên người nhận: {problem}"
    number = ""
    try:
        number = _checked_id(id_kind, id_checked)
    except HandBackInvalid as exc:
        errors.update(exc.errors)
    if place is not None and place != CENTER and not place.startswith("branch:"):
        errors["place"] = "Nơi trả kết quả là “center” (trung tâm) hoặc “branch:<mã điểm đại lý>”."
    if errors:
        raise HandBackInvalid(errors)
    branch = branch_of(actor)
    if branch is not None:
        where = f"branch:{branch}"
    elif dossier.branch_code and not (at_center or place == CENTER):
        raise TransitionRefused(
            f"Hồ sơ này nộp qua điểm đại lý {dossier.branch_code}: kết quả trả tại đó. Chỉ trả "
            "tại trung tâm khi công dân đến trung tâm nhận (đánh dấu “Công dân đến nhận tại "
            "trung tâm”)."
        )
    else:
        where = CENTER
    if place is not None and place != where:
        raise TransitionRefused(
            f"Hồ sơ này trả kết quả {_where_words(where)}, không phải {_where_words(place)}."
        )
    now = now or utcnow()
    try:
        dossier.status = S.RETURNED
        dossier.returned_at = now
        note = hand_back_note(receiver, id_kind, number, where)
        event = _event(session, dossier, actor, now, S.RESOLVED, S.RETURNED, note)
        event.receiver_name, event.receiver_id_kind = receiver, id_kind
        event.receiver_id_number, event.place = number, where
        outbox.dossier_moved(session, dossier, event)
        audit.record(session, actor, "dossier.hand_back", dossier=dossier.code,
                     branch=actor.branch_code or "", detail=note)  # fmt: skip
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return dossier
