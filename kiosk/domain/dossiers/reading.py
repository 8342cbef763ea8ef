"""Finding and showing dossiers: who may see which (an agent only their branch's), the
citizen's check and timeline, the staff's pages and worklists.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, object_session

from ...models import (
    Branch,
    Dossier,
    DossierEvent,
    User,
)
from ..accounts import throttle
from ..accounts.roles import BRANCH_ROLES, can
from ..clock import VIETNAM, local, utcnow
from ..text import FOLD_FROM, FOLD_TO, N_, fold_letters
from .states import LABELS, NEEDS_REASON, OPEN, PAUSED, DossierState, parse_code

S = DossierState


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


# ---------------------------------------------------------------- the citizen's view


#: The citizen's second fact: exactly four ASCII digits, nothing else ("----", "12345",
#: "abcd" and Unicode digits are no fact at all).
FACT = re.compile(r"[0-9]{4}")
#: Compared against where a dossier has no such number (no phone given): never four digits,
#: so it matches nothing, and the comparison still costs the same.
_NO_NUMBER = "none"


class TooManyLookups(Exception):
    """The asker used up their status look-ups for the minute; nothing was looked up."""


def _proves(dossier: Dossier | None, fact: object) -> bool:
    """Whether `fact` is the last four digits of a real number of the dossier: the CCCD, or the
    phone when one was given. Constant time for any dossier, missing or not."""
    given = fact.strip() if isinstance(fact, str) else ""
    well_formed = FACT.fullmatch(given) is not None
    numbers = (dossier.applicant_cccd, dossier.applicant_phone) if dossier else ("", "")
    matched = False
    for number in numbers:
        tail = number[-4:] if FACT.fullmatch(number[-4:]) else _NO_NUMBER
        matched |= hmac.compare_digest(given[:16].encode(), tail.encode())
    return dossier is not None and well_formed and matched


def open_for_citizen(
    session: Session,
    code: object,
    fact: object,
    *,
    asker: str,
    per_minute: int,
    now: dt.datetime | None = None,
) -> Dossier | None:
    """The citizen's status check, the one for every path (the status page, the kiosk's status
    and payment screens, the API's status, fee and rating): counts the try against `asker`'s
    rate limit (TooManyLookups past `per_minute`), finds the dossier and checks the second fact
    (`_proves`). A missing code and a wrong fact both give None, so codes cannot be told apart."""
    if not throttle.allow(session, "dossier_status", asker, per_minute, now=now):
        raise TooManyLookups
    found = find(session, code[:64]) if isinstance(code, str) else None
    return found if _proves(found, fact) else None


@dataclass(frozen=True)
class Step:
    """One line of the timeline a citizen or staff member reads; `note` is what the line
    adds (a reason, the hand-back's receiver and ID, masked for the citizen)."""

    at: dt.datetime
    status: str
    label: str
    note: str
    by: str = ""


def mask(number: str) -> str:
    """A personal number as a citizen's page shows it: all but its last two characters
    hidden."""
    return "•" * max(len(number) - 2, 0) + number[-2:]


def place_name(session: Session | None, place: str) -> str:
    """Where a result was handed back, in words: the center, or the branch's name."""
    if not place.startswith("branch:"):
        return "trung tâm"
    code = place.split(":", 1)[1]
    branch = session.get(Branch, code) if session is not None else None
    return f"điểm đại lý {branch.name if branch else code}"


def _handed(ev: DossierEvent, session: Session | None, citizen: bool) -> str:
    kind = {"cccd": "CCCD", "passport": "hộ chiếu"}.get(ev.receiver_id_kind, "giấy tờ")
    number = mask(ev.receiver_id_number) if citizen else ev.receiver_id_number
    note = f"Người nhận: {ev.receiver_name}, đã kiểm tra {kind} số {number}, tại "
    note += place_name(session, ev.place)
    return note if citizen else f"{note}; người trả: {ev.actor_name}"


def timeline(dossier: Dossier, tz: dt.tzinfo = VIETNAM, *, citizen: bool = False) -> list[Step]:
    """The dossier's moves in plain Vietnamese, oldest first; the reason is shown where the
    citizen is owed one (a refusal, a supplement, an apology), and the hand-back says who
    received the result, which ID was checked and where (for the `citizen`, the number
    masked and the staff's names left out)."""
    steps = []
    session = object_session(dossier)
    for ev in dossier.events:
        status = DossierState(ev.to_status)
        if ev.from_status == ev.to_status:
            label = N_("Xin lỗi và hẹn lại ngày trả kết quả")
        else:
            label = LABELS[status]
        if status == S.RETURNED and ev.receiver_name:
            note = _handed(ev, session, citizen)
        elif status in NEEDS_REASON or ev.from_status == ev.to_status:
            note = ev.reason
        elif status == S.RETURNED and not citizen:
            note = ev.reason  # handed back before the receiver was recorded apart
        else:
            note = ""
        steps.append(Step(local(ev.at, tz), status, label, note, "" if citizen else ev.actor_name))
    return steps


def promised(dossier: Dossier) -> dt.datetime | None:
    """The date the citizen is now told: the apology's new date when there is one."""
    return dossier.promised_at or dossier.due_at


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


def _worklist_query(
    now: dt.datetime, soon: dt.timedelta, show: str
) -> tuple[Select[Dossier], ColumnElement[Any], ColumnElement[dt.datetime]]:
    """The worklist's rows, rank and date in SQL, so a province's stock is ranked and paged by
    the database: 0 overdue, 1 due within `soon`, 2 the rest, 3 paused, 4 resolved (awaiting
    hand-back), each by the date the citizen is told. `show` keeps the overdue ones (against
    the legal due date) or those due soon (still within it), as `progress` says."""
    told = func.coalesce(Dossier.promised_at, Dossier.due_at, Dossier.received_at)
    rank = case(
        (Dossier.status == S.RESOLVED, 4),
        (Dossier.status.in_(PAUSED), 3),
        (told < now, 0),
        (told < now + soon, 1),
        else_=2,
    )
    q = select(Dossier).where(Dossier.status.in_([*OPEN, S.REGISTERED, S.RESOLVED]))
    if show in ("overdue", "soon"):
        running = and_(
            Dossier.status.in_(OPEN - PAUSED),
            Dossier.due_at.is_not(None),
            Dossier.resolved_at.is_(None),
        )
        if show == "overdue":
            q = q.where(running, Dossier.due_at < now)
        else:
            q = q.where(running, Dossier.due_at >= now, told < now + soon)
    return q, rank, told


def worklist(
    session: Session,
    now: dt.datetime | None = None,
    soon: dt.timedelta = dt.timedelta(days=2),
    *,
    show: str = "",
    limit: int | None = None,
) -> list[Dossier]:
    """Open and newly registered dossiers for the processing officers: overdue first, then
    those due within `soon`, then the rest, each by due date; the first `limit` of them."""
    q, rank, told = _worklist_query(now or utcnow(), soon, show)
    q = q.order_by(rank, told, Dossier.code)
    return list(session.scalars(q.limit(limit) if limit is not None else q))


def worklist_size(
    session: Session, now: dt.datetime | None = None,
    soon: dt.timedelta = dt.timedelta(days=2), *, show: str = "",
) -> int:  # fmt: skip
    """How many dossiers `worklist` has in all."""
    q, _rank, _told = _worklist_query(now or utcnow(), soon, show)
    return int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)


def search(session: Session, q: str, limit: int = 50) -> list[Dossier]:
    """Dossiers an officer looks for by what the citizen says (*tìm hồ sơ*): a dossier code (or
    its end, e.g. `261116-0001`), a CCCD number (or its last digits, at least 4) or a part of
    the applicant's name, any state, newest first."""
    text = " ".join((q or "").split())[:100]
    if not text:
        return []
    digits = text.replace(" ", "")
    clauses: list[ColumnElement[bool]] = []
    if len(text) >= 4:
        clauses.append(Dossier.code.contains(text.upper(), autoescape=True))
    if digits.isdigit() and len(digits) >= 4:
        clauses.append(Dossier.applicant_cccd.endswith(digits, autoescape=True))
    if not digits.isdigit() and len(text) >= 2:
        # Without case and marks on both engines: "ĐỖ", "đỗ" and "do" find "Đỗ".
        if session.get_bind().dialect.name == "sqlite":
            name = func.kiosk_fold(Dossier.applicant_name)  # registered on connect (storage)
        else:
            name = func.translate(Dossier.applicant_name, FOLD_FROM, FOLD_TO)
        clauses.append(name.contains(fold_letters(text), autoescape=True))
    if not clauses:
        return []
    stmt = select(Dossier).where(or_(*clauses)).order_by(Dossier.received_at.desc())
    return list(session.scalars(stmt.limit(limit)))


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
