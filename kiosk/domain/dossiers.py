"""Dossiers (*hồ sơ*): receiving one, its code, its due date, and its moves through the
lifecycle, each recorded with who, when and why.

- **Receiving** (`receive`): at a counter (`direct`: accepted at once, its clock starts) or
  online (the kiosk, an agent: `registered`, its clock starts when an officer accepts it; until
  then `due_at` is the date it would be due if accepted when filed, which the receipt gives).
  Online, the e-form (`forms`) and every required paper, uploaded (`uploads`), must be there;
  at a counter the officer holds the paper form, so what is given is checked and the papers
  received on paper are listed. The uploads are attached in the dossier's transaction. The
  code (`dossier_states.dossier_code`) comes from the site's row in `dossier_sequence` for the
  day, incremented by an upsert in the dossier's own transaction, as ticket numbers are; the
  receipt's print job (form 01) is written in the same transaction. A repeated idempotency key
  answers the dossier already received.
- **Due date**: `workdays.due_at` from the moment the clock starts, for the channel's working
  days; pauses (supplement, payment) stop it and `workdays.due_with_pauses` sets it again when
  the dossier resumes.
- **Moves** (`move`): only those `dossier_states.MOVES` allows, by an account with
  `dossier.process`; each leaves a `DossierEvent`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (
    Dossier,
    DossierEvent,
    DossierSequence,
    PrintJob,
    Procedure,
    Upload,
    User,
)
from ..storage import next_in_sequence
from . import audit, forms, uploads, workdays
from .catalog import form_of
from .citizen_id import GENDERS, CccdError, check_number
from .clock import VIETNAM, local, stored, utcnow, wall_clock
from .dossier_states import (
    LABELS,
    NEEDS_REASON,
    OPEN,
    PAUSED,
    DossierState,
    TransitionRefused,
    check_move,
    dossier_code,
    parse_code,
)
from .identity import BRANCH_ROLES, can, require
from .printing import Printer, new_job
from .text import N_

S = DossierState
ADDRESS = forms.Field("address", "Địa chỉ", "address", required=False)
#: The catalog's channel for each way a dossier comes in.
CHANNEL_KINDS = {"direct": "truc_tiep", "online": "truc_tuyen"}


class DossierError(ValueError):
    """A dossier that cannot be received or moved; `errors` maps a field to its message."""

    def __init__(self, message: str, errors: dict[str, str] | None = None, status: int = 400):
        super().__init__(message)
        self.errors = errors or {}
        self.status = status


@dataclass(frozen=True)
class Applicant:
    """The citizen the dossier is for (*người nộp hồ sơ*)."""

    full_name: str
    cccd: str
    birth_date: dt.date | None = None
    gender: str = ""
    phone: str = ""
    address: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceiptPrint:
    """How a dossier's receipt (form 01) is printed: where, under which site's name, the
    address its QR code opens (`link` makes it from the dossier's code), in which zone."""

    printer: Printer
    site_name: str
    link: Callable[[str], str]
    tz: dt.tzinfo


@dataclass
class Received:
    dossier: Dossier
    created: bool = True


def _check_applicant(applicant: Applicant) -> dict[str, str]:
    errors: dict[str, str] = {}
    if applicant.address:
        _, problem = forms.check_value(ADDRESS, applicant.address)
        if problem:
            errors["address"] = problem
    if not applicant.full_name.strip():
        errors["full_name"] = "Nhập họ và tên người nộp."
    elif len(applicant.full_name) > 255:
        errors["full_name"] = "Họ và tên dài quá 255 ký tự."
    if applicant.gender and applicant.gender not in GENDERS:
        errors["gender"] = "Giới tính là Nam hoặc Nữ."
    try:
        check_number(
            applicant.cccd,
            applicant.birth_date,
            applicant.gender if applicant.gender in GENDERS else None,
        )
    except CccdError as exc:
        errors["cccd"] = str(exc)
    phone = applicant.phone.replace(" ", "")
    if phone and not (phone.isdigit() and len(phone) == 10 and phone.startswith("0")):
        errors["phone"] = "Số điện thoại gồm 10 chữ số, bắt đầu bằng 0."
    return errors


def _channel_terms(procedure: Procedure, channel: str, day: dt.date) -> tuple[Decimal, int]:
    """Working days and the fee in force of the procedure's channel for `channel`."""
    kind = CHANNEL_KINDS.get(channel)
    if kind is None:
        raise DossierError("Kênh nộp hồ sơ phải là 'direct' hoặc 'online'.", {"channel": channel})
    found = next((ch for ch in procedure.channels if ch.kind == kind), None)
    if found is None:
        where = "trực tuyến" if channel == "online" else "trực tiếp"
        raise DossierError(
            f"Thủ tục {procedure.code} không nhận hồ sơ {where}.", {"procedure": procedure.code}
        )
    fees = [f.amount_vnd for f in found.fees if f.applies_on(day)]
    return found.processing_days, (fees[0] if fees else 0)


@dataclass(frozen=True)
class Papers:
    """What the dossier carries: `files` uploaded, by document name (`uploads.Wanted`), the
    papers an officer received on paper at the counter (names only), who sent the uploads, and
    the limits they must keep."""

    files: tuple[uploads.Wanted, ...] = ()
    on_paper: tuple[str, ...] = ()
    owner: str = ""
    limits: uploads.Limits = uploads.Limits.from_mb(10, 40)
    staff: bool = False


def check(
    session: Session,
    procedure: Procedure,
    applicant: Applicant,
    fields: Any,
    papers: Papers,
    *,
    complete: bool,
) -> tuple[dict[str, Any], list[tuple[str, Upload]], dict[str, str]]:
    """The form's clean values, the uploads to attach, and every error by field: the
    applicant's (`full_name`, `cccd`, ...), the form's (`fields.<name>`) and the papers'
    (`documents.<name>`). `complete` asks for every required field and paper (online filing);
    at a counter the officer holds the paper form and papers, so what is given is checked but
    nothing more is asked."""
    errors = _check_applicant(applicant)
    form = form_of(procedure)
    if not complete:
        form = [replace(f, required=False) for f in form]
    clean, form_errors = forms.validate(form, fields)
    errors.update({f"fields.{k}": v for k, v in form_errors.items()})
    names = [d.name for d in procedure.documents]
    required = [d.name for d in procedure.documents if d.required] if complete else []
    found, doc_errors = uploads.check_attachable(
        session, papers.files, owner=papers.owner, limits=papers.limits,
        required=[n for n in required if n not in papers.on_paper], allowed=names,
        staff=papers.staff,
    )  # fmt: skip
    for name in papers.on_paper:
        if name not in names:
            doc_errors[name[:255]] = f"Thủ tục này không có giấy tờ {name[:255]!r}."
    errors.update({f"documents.{k}": v for k, v in doc_errors.items()})
    return clean, found, errors


def receive(
    session: Session,
    procedure: Procedure,
    applicant: Applicant,
    *,
    channel: str,
    site_code: str,
    fields: dict[str, Any] | None = None,
    papers: Papers = Papers(),
    unit: str = "",
    actor: User | None = None,
    ticket_id: int | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
    tz: dt.tzinfo = VIETNAM,
    calendar: workdays.Calendar | None = None,
    print_on: ReceiptPrint | None = None,
    agent: User | None = None,
    consent: Upload | None = None,
) -> Received:
    """Receive a dossier (see the module's docstring); DossierError lists what is wrong. Filed
    by an agent for a citizen, it records the agent and the branch and carries the citizen's
    signed authorization (`consent`, an upload), without which it is refused."""
    if channel == "direct":
        require(actor, "dossier.receive")
    if agent is not None:
        require(agent, "agent.work")
        if consent is None or consent.dossier_id is not None:
            raise DossierError(
                "Cần giấy ủy quyền có chữ ký của công dân (consent_upload_id).",
                {"consent_upload_id": "Tải lên giấy ủy quyền đã ký trước khi nộp."},
            )
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 64:
        raise DossierError("Khóa chống trùng quá dài (tối đa 64 ký tự).")
    if key is not None:
        existing = session.scalar(select(Dossier).where(Dossier.idempotency_key == key))
        if existing is not None:
            return Received(existing, created=False)
    clean, found, errors = check(
        session, procedure, applicant, fields, papers, complete=channel != "direct"
    )
    if errors:
        raise DossierError("Hồ sơ chưa đúng hoặc còn thiếu, xem từng mục.", errors)
    now = now or utcnow()
    here = wall_clock(now, tz)
    days, fee = _channel_terms(procedure, channel, here.date())
    calendar = calendar if calendar is not None else workdays.load_calendar(session)
    accepted = channel == "direct"
    # Online, the clock starts when an officer accepts the dossier; until then the receipt
    # gives the date it would be due if accepted now.
    due = stored(workdays.due_at(here, float(days), calendar), tz)
    status = S.ACCEPTED if accepted else S.REGISTERED
    try:
        code = dossier_code(
            site_code,
            here.date(),
            next_in_sequence(session, DossierSequence, site_code=site_code, day=here.date()),
        )
        dossier = Dossier(
            id=str(uuid.uuid4()), code=code, site_code=site_code, unit=unit or site_code,
            procedure_code=procedure.code, procedure_version=procedure.version,
            procedure_name=procedure.name, channel=channel,
            applicant_name=applicant.full_name.strip(),
            applicant_cccd=check_number(applicant.cccd),
            applicant_birth_date=applicant.birth_date, applicant_gender=applicant.gender,
            applicant_phone=applicant.phone.replace(" ", ""),
            applicant_address=json.dumps(applicant.address, ensure_ascii=False),
            fields=json.dumps(clean, ensure_ascii=False), status=status,
            processing_days=days, fee_vnd=fee, received_at=now, due_at=due,
            ticket_id=ticket_id, received_by_id=actor.id if actor else None,
            idempotency_key=key, branch_code=agent.branch_code if agent else None,
            agent_id=agent.id if agent else None,
        )  # fmt: skip
        session.add(dossier)
        session.flush()
        uploads.attach(found, dossier)
        if consent is not None:
            uploads.attach([(uploads.CONSENT, consent)], dossier)
            audit.record(session, agent, "dossier.file", dossier=code,
                         branch=agent.branch_code or "" if agent else "")  # fmt: skip
        session.add(
            DossierEvent(
                dossier=dossier,
                at=now,
                actor_id=actor.id if actor else None,
                actor_name=actor.full_name if actor else "",
                from_status="",
                to_status=status,
                due_at=due if accepted else None,
            )  # fmt: skip
        )
        if print_on is not None:
            names = [name for name, _ in found] + list(papers.on_paper)
            ordered = [d.name for d in procedure.documents if d.name in names]
            session.add(_receipt_job(dossier, print_on, ordered, actor))
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = session.scalar(select(Dossier).where(Dossier.idempotency_key == key))
        if key is None or existing is None:
            raise
        return Received(existing, created=False)
    except BaseException:
        session.rollback()
        raise
    return Received(dossier)


def _receipt_job(
    dossier: Dossier, spec: ReceiptPrint, documents: list[str], actor: User | None
) -> PrintJob:
    due = dossier.due_at or dossier.received_at
    data = {  # the fields of printers.layouts.ReceiptData
        "site_name": spec.site_name,
        "dossier_code": dossier.code,
        "procedure": dossier.procedure_name,
        "applicant": dossier.applicant_name,
        "documents": documents,
        "received_at": wall_clock(dossier.received_at, spec.tz).isoformat(),
        "due_date": local(due, spec.tz).date().isoformat(),
        "status_url": spec.link(dossier.code),
        "officer": actor.full_name if actor else "",
        "fee_vnd": dossier.fee_vnd,
        "provisional": dossier.status == S.REGISTERED,
    }
    return new_job(spec.printer, "receipt", f"Hồ sơ {dossier.code}", layout=("receipt", data))


def find(session: Session, code: str) -> Dossier | None:
    """The dossier with this code, or None."""
    if parse_code(code) is None:
        return None
    return session.scalar(select(Dossier).where(Dossier.code == code.strip().upper()))


def branch_of(user: User | None) -> str | None:
    """The branch an agent or supervisor is confined to; None for the center's staff."""
    if user is not None and user.role in BRANCH_ROLES:
        return user.branch_code or "-"  # a branch role without a branch sees nothing
    return None


def visible(session: Session, user: User | None, code: str) -> Dossier | None:
    """The dossier if `user` may see it: the center's staff (`dossier.read`) any, an agent or
    supervisor only their own branch's. Another branch's dossier is None, exactly as one that
    does not exist."""
    if user is None or not user.active:
        return None
    branch = branch_of(user)
    if branch is None and not can(user, "dossier.read"):
        return None
    found = find(session, code)
    if found is None or (branch is not None and found.branch_code != branch):
        return None
    return found


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
    transaction."""
    require(actor, "dossier.process")
    if len(reason) > 2000:
        raise TransitionRefused("Lý do dài quá 2.000 ký tự.")
    if result is not None and (to != S.RESOLVED or result.dossier_id is not None):
        raise TransitionRefused("Chỉ đính kèm kết quả số hóa khi hồ sơ có kết quả.")
    now = now or utcnow()
    try:
        target = check_move(dossier.status, to, reason)
        source = dossier.status
        dossier.status = target
        event = DossierEvent(
            dossier=dossier, at=now, actor_id=actor.id, actor_name=actor.full_name,
            from_status=source, to_status=target, reason=reason.strip(),
        )  # fmt: skip
        session.add(event)  # also appended to dossier.events, in order, by the relationship
        if target == S.ACCEPTED or (source in PAUSED and target in OPEN - PAUSED):
            calendar = calendar if calendar is not None else workdays.load_calendar(session)
            due = workdays.due_with_pauses(
                wall_clock(_clock_start(dossier), tz),
                float(dossier.processing_days),
                _pauses(dossier, tz),
                calendar,
            )
            dossier.due_at = stored(due, tz) if due is not None else None
        if target == S.RESOLVED:
            dossier.resolved_at = now
            if result is not None:
                uploads.attach([(uploads.RESULT, result)], dossier)
        elif target == S.RETURNED:
            dossier.returned_at = now
        event.due_at = dossier.due_at
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


# ---------------------------------------------------------------- the citizen's view


def verify(dossier: Dossier | None, fact: str) -> bool:
    """Whether `fact` is the last four digits of the applicant's CCCD or phone. Compared in
    constant time; a missing dossier costs the same, so timing tells no code apart."""
    fact = (fact or "").strip()
    cccd = dossier.applicant_cccd[-4:] if dossier else "----"
    phone = dossier.applicant_phone[-4:] if dossier and dossier.applicant_phone else "----"
    ok_cccd = hmac.compare_digest(fact.encode(), cccd.encode())
    ok_phone = hmac.compare_digest(fact.encode(), phone.encode())
    return dossier is not None and len(fact) == 4 and (ok_cccd or ok_phone)


@dataclass(frozen=True)
class Step:
    """One line of the timeline a citizen reads."""

    at: dt.datetime
    status: str
    label: str
    note: str


def timeline(dossier: Dossier, tz: dt.tzinfo = VIETNAM) -> list[Step]:
    """The dossier's moves in plain Vietnamese, oldest first; the reason is shown where the
    citizen is owed one (a refusal, a supplement, an apology)."""
    steps = []
    for ev in dossier.events:
        status = DossierState(ev.to_status)
        if ev.from_status == ev.to_status:
            label = N_("Xin lỗi và hẹn lại ngày trả kết quả")
        else:
            label = LABELS[status]
        note = ev.reason if status in NEEDS_REASON or ev.from_status == ev.to_status else ""
        steps.append(Step(local(ev.at, tz), status, label, note))
    return steps


def promised(dossier: Dossier) -> dt.datetime | None:
    """The date the citizen is now told: the apology's new date when there is one."""
    return dossier.promised_at or dossier.due_at


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
    reason = reason.strip()
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
        session.add(
            DossierEvent(
                dossier=dossier,
                at=now,
                actor_id=actor.id,
                actor_name=actor.full_name,
                from_status=dossier.status,
                to_status=dossier.status,
                reason=note,
                due_at=dossier.due_at,
            )  # fmt: skip
        )
        if print_on is not None:
            data = {  # the fields of printers.layouts.ApologyData
                "site_name": print_on.site_name,
                "dossier_code": dossier.code,
                "procedure": dossier.procedure_name,
                "applicant": dossier.applicant_name,
                "original_due": local(current or now, tz).date().isoformat(),
                "new_due": new_date.isoformat(),
                "reason": reason,
                "issued_at": wall_clock(now, tz).isoformat(),
                "officer": actor.full_name,
                "status_url": print_on.link(dossier.code),
            }
            session.add(
                new_job(print_on.printer, "apology", f"Xin lỗi {dossier.code}",
                        layout=("apology", data))
            )  # fmt: skip
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return dossier


# ---------------------------------------------------------------- lists for staff


@dataclass(frozen=True)
class Page:
    items: list[Dossier]
    next_cursor: str | None


def _cursor(d: Dossier) -> str:
    raw = f"{d.received_at.isoformat()}|{d.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uncursor(cursor: str) -> tuple[dt.datetime, str]:
    """The position a cursor names; ValueError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, ident = raw.split("|", 1)
        return dt.datetime.fromisoformat(at), str(uuid.UUID(ident))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("cursor không hợp lệ") from exc


def listing(
    session: Session,
    *,
    status: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 100,
    cursor: str | None = None,
    branch: str | None = None,
) -> Page:
    """Dossiers received in [start, end), oldest first, a page at a time: `next_cursor` picks
    up after the page's last one and is None on the last page."""
    stmt = select(Dossier)
    if branch is not None:
        stmt = stmt.where(Dossier.branch_code == branch)
    if status:
        stmt = stmt.where(Dossier.status == status)
    if start is not None:
        stmt = stmt.where(Dossier.received_at >= start)
    if end is not None:
        stmt = stmt.where(Dossier.received_at < end)
    if cursor:
        at, ident = _uncursor(cursor)
        stmt = stmt.where(
            or_(Dossier.received_at > at, and_(Dossier.received_at == at, Dossier.id > ident))
        )
    rows = list(
        session.scalars(stmt.order_by(Dossier.received_at, Dossier.id).limit(limit + 1)).all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _cursor(rows[-1]) if more and rows else None)


def worklist(
    session: Session, now: dt.datetime | None = None, soon: dt.timedelta = dt.timedelta(days=2)
) -> list[Dossier]:
    """Open and newly registered dossiers for the processing officers: overdue first, then
    those due within `soon`, then the rest, each by due date."""
    now = now or utcnow()
    rows = session.scalars(
        select(Dossier)
        .where(Dossier.status.in_([*OPEN, S.REGISTERED, S.RESOLVED]))
        .order_by(Dossier.due_at)
    ).all()

    def rank(d: Dossier) -> tuple[int, dt.datetime]:
        due = promised(d) or d.received_at
        if d.status == S.RESOLVED:
            return (4, due)
        if d.status in PAUSED:
            return (3, due)
        if due < now:
            return (0, due)
        if due < now + soon:
            return (1, due)
        return (2, due)

    return sorted(rows, key=rank)


def branch_worklist(session: Session, branch: str, limit: int = 300) -> list[Dossier]:
    """A branch's dossiers for its agents: results ready to hand back first, then those still
    open by due date, then the rest, newest first."""
    rows = session.scalars(
        select(Dossier).where(Dossier.branch_code == branch).order_by(Dossier.received_at.desc())
        .limit(limit * 2)
    ).all()  # fmt: skip

    def rank(d: Dossier) -> tuple[int, float]:
        due = promised(d)
        if d.status == S.RESOLVED:
            return (0, 0.0)
        if d.status in OPEN or d.status == S.REGISTERED:
            return (1, due.timestamp() if due else 0.0)
        return (2, -d.received_at.timestamp())

    return sorted(rows, key=rank)[:limit]


def hand_back(
    session: Session,
    dossier: Dossier,
    actor: User,
    receiver: str,
    id_checked: str,
    *,
    now: dt.datetime | None = None,
) -> Dossier:
    """Hand the result back (*trả kết quả*): who received it and which ID was checked, on the
    timeline and in the audit log. By the center's staff, or by an agent of the dossier's own
    branch; the dossier must have its result."""
    if visible(session, actor, dossier.code) is None:
        raise TransitionRefused("Không tìm thấy hồ sơ.")
    if not can(actor, "dossier.hand_back"):
        raise TransitionRefused("Tài khoản của bạn không có quyền trả kết quả.")
    receiver = " ".join(receiver.split())
    id_checked = id_checked.strip().replace(" ", "")
    if not receiver or len(receiver) > 255:
        raise TransitionRefused("Ghi họ tên người nhận kết quả.")
    if not re.fullmatch(r"[0-9A-Za-z]{8,12}", id_checked):
        raise TransitionRefused("Ghi số giấy tờ tùy thân đã kiểm tra (CCCD, hộ chiếu).")
    if dossier.status != S.RESOLVED:
        raise TransitionRefused(f"Hồ sơ đang “{LABELS[DossierState(dossier.status)]}”, chưa có "
                                "kết quả để trả.")  # fmt: skip
    now = now or utcnow()
    try:
        dossier.status = S.RETURNED
        dossier.returned_at = now
        note = f"Trả cho {receiver}, đã kiểm tra giấy tờ số {id_checked}."
        session.add(
            DossierEvent(
                dossier=dossier,
                at=now,
                actor_id=actor.id,
                actor_name=actor.full_name,
                from_status=S.RESOLVED,
                to_status=S.RETURNED,
                reason=note,
                due_at=dossier.due_at,
            )  # fmt: skip
        )
        audit.record(session, actor, "dossier.hand_back", dossier=dossier.code,
                     branch=actor.branch_code or "", detail=note)  # fmt: skip
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return dossier
