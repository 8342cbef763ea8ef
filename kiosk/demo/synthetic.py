"""A realistic month of a center's work, made up and reproducible by seed (`kiosk demo-month`,
the report tests and `bench/reports.py`).

The proportions follow Gia Lai's July 2025 figures: about 62% of new
dossiers filed online, a carried-over stock of about 40% of the month's new ones, of the
resolved ones about 90% early, 1% on time and 9% late; some refused or withdrawn, supplements
requested (the clock stands still meanwhile), apologies for some late ones, ratings mostly
satisfied, papers digitized for most, fees paid by VietQR or in cash, and the month's queue
tickets with their waits, services and no-shows. Rows are written in bulk (one INSERT per
table and batch), with codes and ticket numbers taken from the same sequences the counters
use, so that real work afterwards goes on numbering where the month stopped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..domain.citizen_id import check_number
from ..domain.clock import VIETNAM, stored, utcnow
from ..domain.dossiers import workdays
from ..domain.dossiers.lifecycle import CENTER, hand_back_note
from ..domain.dossiers.states import dossier_code
from ..domain.dossiers.uploads import RESULT
from ..domain.money.states import PaymentState
from ..domain.queue.states import TicketState
from ..domain.units import DEPARTMENTS, OTHER_DEPARTMENT, kind_of
from ..models import (
    Counter,
    Dossier,
    DossierEvent,
    DossierSequence,
    Payment,
    Procedure,
    Rating,
    Service,
    Ticket,
    TicketSequence,
    Unit,
    Upload,
)

#: Communes of Gia Lai after the 2025 merger (codes from `vietnam-provinces`).
COMMUNES = ("21583", "21589", "21592", "21601", "21607", "21640")
DAY_SECONDS = 9 * 3600


@dataclass
class Month:
    """What was made, for the caller to report."""

    first: dt.date
    last: dt.date
    dossiers: int = 0
    carried: int = 0
    tickets: int = 0
    ratings: int = 0
    payments: int = 0
    uploads: int = 0
    units: dict[str, str] = field(default_factory=dict)


class SyntheticError(ValueError):
    """The month cannot be made (already there, no catalog, no floor); the message says why."""


class AlreadyLoaded(SyntheticError):
    """That month with that seed is already in the database."""


def _working_days(first: dt.date, last: dt.date, cal: workdays.Calendar) -> list[dt.date]:
    days, d = [], first
    while d <= last:
        if cal.is_working_day(d):
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def _office_time(rng: random.Random, day: dt.date) -> dt.datetime:
    """A moment in office hours (7:30-11:15, 13:30-16:45), busier in the morning."""
    if rng.random() < 0.62:
        start, span = dt.time(7, 30), 225
    else:
        start, span = dt.time(13, 30), 195
    minute = int(rng.triangular(0, span, span * 0.3))
    return dt.datetime.combine(day, start) + dt.timedelta(
        minutes=minute, seconds=rng.randint(0, 59)
    )


def _terms(proc: Procedure, kind: str, day: dt.date) -> tuple[Decimal, int] | None:
    ch = next((c for c in proc.channels if c.kind == kind), None)
    if ch is None:
        return None
    fees = [f.amount_vnd for f in ch.fees if f.applies_on(day)]
    return ch.processing_days, (fees[0] if fees else 0)


def generate(
    session: Session, *, site_code: str, dossiers: int = 3000, seed: int = 1,
    month: dt.date | None = None, tz: dt.tzinfo = VIETNAM, now: dt.datetime | None = None,
    folder: Path | None = None, progress: Callable[[str], None] | None = None,
) -> Month:  # fmt: skip
    """Add a month of work received from `month`'s first day (the previous month by default)
    to its last: `dossiers` new ones, plus a carried-over stock received the month before.
    Nothing after `now` happens: a month not over yet ends today, with its open dossiers."""
    rng = random.Random(seed)
    now = now or utcnow()
    today = (now.replace(tzinfo=dt.UTC).astimezone(tz)).date()
    if month is None:
        month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    first = month.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    marker = f"demo-month:{first:%Y-%m}:{seed}:"
    if session.scalar(select(Dossier.id).where(Dossier.idempotency_key == marker + "0")):
        raise AlreadyLoaded(f"Tháng {first:%m/%Y} với seed {seed} đã được nạp.")
    procs = [p for p in session.scalars(select(Procedure).order_by(Procedure.code)) if p.channels]
    if not procs:
        raise SyntheticError("Chưa có danh mục thủ tục: chạy `kiosk demo` hoặc import-catalog.")
    cal = workdays.load_calendar(session)
    made = Month(first, last)
    say = progress or (lambda _m: None)

    # Units: a department per field for provincial procedures, communes for the others.
    units: dict[str, str] = {}
    for code, name in [*DEPARTMENTS.values(), OTHER_DEPARTMENT]:
        units[code] = name
    from ..domain import places

    for c in COMMUNES:
        found = places.get_commune(c)
        units[c] = found.name if found else c
    known = set(session.scalars(select(Unit.code)))
    new_units = [{"code": c, "name": n, "kind": kind_of(c)}
                 for c, n in units.items() if c not in known]  # fmt: skip
    if new_units:
        session.execute(insert(Unit), new_units)
    made.units = units

    def unit_of(p: Procedure) -> str:
        if p.level == "xa":
            return rng.choice(COMMUNES)
        return DEPARTMENTS.get(p.field, OTHER_DEPARTMENT)[0]

    # The month's queue first, so that counter dossiers can name their visit.
    prev_first = (first - dt.timedelta(days=1)).replace(day=1)
    month_days = [d for d in _working_days(first, last, cal) if d <= today]
    prev_days = _working_days(prev_first, first - dt.timedelta(days=1), cal)
    if not month_days:
        raise SyntheticError(f"Tháng {first:%m/%Y} chưa có ngày làm việc nào đã qua.")
    ticket_rows = _month_tickets(session, rng, marker, month_days, dossiers, tz)
    tickets_by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for r in ticket_rows:
        if r["state"] == TicketState.DONE:
            tickets_by_day[r["day"]].append(r)
    made.tickets = len(ticket_rows)
    say(f"{made.tickets} số thứ tự")

    # Dossiers: the month's new ones, and a carried-over stock from the month before.
    plan = [(rng.choice(month_days), False) for _ in range(dossiers)]
    # The stock still in progress when the month begins: long procedures filed in the last
    # two weeks of the month before (most resolve during the month, some late).
    tail = prev_days[-10:]
    plan += [(rng.choice(tail), True) for _ in range(int(dossiers * 0.42))] if tail else []
    plan.sort(key=lambda p: p[0])
    seq_by_day: dict[dt.date, int] = {}
    d_rows: list[dict[str, Any]] = []
    e_rows: list[dict[str, Any]] = []
    u_rows: list[dict[str, Any]] = []
    p_rows: list[dict[str, Any]] = []
    r_rows: list[dict[str, Any]] = []
    blob = _sample_file(folder)
    long_procs = [p for p in procs if max(float(c.processing_days) for c in p.channels) >= 7]
    for i, (day, carried) in enumerate(plan):
        proc = rng.choice(long_procs if carried and long_procs else procs)
        kinds = {c.kind for c in proc.channels}
        online = "truc_tuyen" in kinds and (rng.random() < 0.62 or "truc_tiep" not in kinds)
        terms = _terms(proc, "truc_tuyen" if online else "truc_tiep", day) or _terms(
            proc, next(iter(kinds)), day)  # fmt: skip
        assert terms is not None
        days, fee = terms
        if day not in seq_by_day:
            seq_by_day[day] = session.scalar(
                select(DossierSequence.last_number).where(
                    DossierSequence.site_code == site_code, DossierSequence.day == day)
            ) or 0  # fmt: skip
        seq_by_day[day] += 1
        code = dossier_code(site_code, day, seq_by_day[day])
        visit = None
        if not online and tickets_by_day.get(day):
            visit = rng.choice(tickets_by_day[day])
        received_wall = (
            visit["finished_at"].replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)
            if visit else _office_time(rng, day)
        )  # fmt: skip
        received = stored(received_wall, tz)
        if received > now:
            received = now - dt.timedelta(minutes=1)
        did = str(uuid.UUID(int=rng.getrandbits(128)))
        events: list[tuple[dt.datetime, str, str, str]] = [(received, "", "registered" if online
                                                             else "accepted", "")]  # fmt: skip
        status = events[0][2]
        accepted_wall = received_wall
        if online:  # an officer accepts it within a working day or so
            accepted_wall = workdays.add_working_time(
                received_wall, dt.timedelta(hours=rng.uniform(0.3, 10)), cal
            )
            if rng.random() < 0.03:
                events.append((stored(accepted_wall, tz), "registered", "refused",
                               "Hồ sơ không thuộc thẩm quyền giải quyết."))  # fmt: skip
                status = "refused"
            else:
                events.append((stored(accepted_wall, tz), "registered", "accepted", ""))
                status = "accepted"
        due_wall = workdays.due_at(accepted_wall, float(days), cal)
        due = stored(due_wall, tz)
        resolved = closed = promised = None
        if status == "accepted":
            span = workdays.working_time_between(accepted_wall, due_wall, cal)
            roll = rng.random()
            if roll < 0.05:  # a supplement: the clock stands still while the citizen brings it
                ask = workdays.add_working_time(accepted_wall, span * rng.uniform(0.1, 0.5), cal)
                back = workdays.add_working_time(ask, dt.timedelta(hours=rng.uniform(4, 24)), cal)
                events.append(
                    (stored(ask, tz), "accepted", "supplement", "Bổ sung bản sao giấy tờ.")
                )
                events.append((stored(back, tz), "supplement", "processing", ""))
                due_wall = (
                    workdays.due_with_pauses(
                        accepted_wall, float(days), [workdays.Pause(ask, back)], cal
                    )
                    or due_wall
                )
                due = stored(due_wall, tz)
            else:
                events.append((stored(accepted_wall + dt.timedelta(minutes=20), tz), "accepted",
                               "processing", ""))  # fmt: skip
            span = workdays.working_time_between(accepted_wall, due_wall, cal)
            fate = rng.random()
            if fate < 0.025:
                when = workdays.add_working_time(accepted_wall, span * rng.uniform(0.1, 0.9), cal)
                events.append((stored(when, tz), "processing", "withdrawn",
                               "Công dân rút hồ sơ."))  # fmt: skip
            elif fate < 0.12:  # late
                when = workdays.add_working_time(due_wall, dt.timedelta(
                    hours=rng.uniform(1, 40)), cal)  # fmt: skip
                if rng.random() < 0.6:
                    promised = due + dt.timedelta(days=rng.randint(2, 6))
                    events.append((stored(workdays.add_working_time(
                        accepted_wall, span * 0.9, cal), tz), "processing", "processing",
                        "Xin lỗi và hẹn lại ngày trả kết quả."))  # fmt: skip
                events.append((stored(when, tz), "processing", "resolved", ""))
            elif fate < 0.13:  # on the due day
                when = dt.datetime.combine(due_wall.date(), dt.time(8, 0)) + dt.timedelta(
                    minutes=rng.randint(0, 300))  # fmt: skip
                when = min(when, due_wall)
                events.append((stored(when, tz), "processing", "resolved", ""))
            else:  # early: on a day before the due day, else (a same-day one) on the day
                when = workdays.add_working_time(accepted_wall, span * rng.uniform(0.15, 0.8), cal)
                if when.date() >= due_wall.date():
                    when = min(due_wall, accepted_wall + dt.timedelta(minutes=rng.randint(30, 120)))
                events.append((stored(when, tz), "processing", "resolved", ""))
        # Only what has happened by now.
        events = [e for e in events if e[0] <= now]
        status = events[-1][2]
        for at, _src, dst, _reason in events:
            if dst == "resolved":
                resolved = closed = at
            elif dst in ("refused", "withdrawn"):
                closed = at
        returned = None
        if status == "resolved" and rng.random() < 0.75:
            assert resolved is not None
            back_at = resolved + dt.timedelta(hours=rng.uniform(2, 72))
            if back_at <= now:
                events.append((back_at, "resolved", "returned", ""))
                status, returned = "returned", back_at
        name, cccd = "Công dân " + code[-9:], check_number(f"0641{rng.randrange(10**8):08d}")
        if status == "registered":
            due = stored(workdays.due_at(received_wall, float(days), cal), tz)
        d_rows.append({
            "id": did, "code": code, "site_code": site_code, "unit": unit_of(proc),
            "procedure_code": proc.code, "procedure_version": proc.version,
            "procedure_name": proc.name, "channel": "online" if online else "direct",
            "applicant_name": name, "applicant_cccd": cccd,
            "applicant_birth_date": None, "applicant_gender": rng.choice(("Nam", "Nữ")),
            "applicant_phone": f"09{rng.randrange(10**8):08d}", "applicant_address": "{}",
            "fields": "{}", "status": status, "processing_days": days, "fee_vnd": fee,
            "received_at": received, "due_at": due, "resolved_at": resolved,
            "returned_at": returned, "closed_at": closed,
            "ticket_id": visit["id"] if visit else None,
            "received_by_id": None, "idempotency_key": f"{marker}{i}", "promised_at": promised,
            "branch_code": None, "agent_id": None, "papers_digitized": False,
            "result_digitized": False, "fee_paid_by": "",
        })  # fmt: skip
        for at, src, dst, reason in events:
            # Handed back as the rule records it: to the citizen, her CCCD checked, at the
            # center (`dossiers.hand_back`); every row has the same keys for one insert.
            handed = dst == "returned"
            e_rows.append({"dossier_id": did, "at": at, "actor_id": None,
                           "actor_name": "Dữ liệu mẫu", "from_status": src, "to_status": dst,
                           "reason": hand_back_note(name, "cccd", cccd, CENTER) if handed
                           else reason,
                           "due_at": due if dst != "registered" else None,
                           "receiver_name": name if handed else "",
                           "receiver_id_kind": "cccd" if handed else "",
                           "receiver_id_number": cccd if handed else "",
                           "place": CENTER if handed else ""})  # fmt: skip
        # Papers: online ones always digitized, counter ones mostly; the result mostly.
        if online or rng.random() < 0.7:
            for name in [doc.name for doc in proc.documents[:2]] or ["giay_to"]:
                u_rows.append(_upload(did, name, received, blob, rng))
            d_rows[-1]["papers_digitized"] = True
        if resolved is not None and rng.random() < 0.85:
            u_rows.append(_upload(did, RESULT, resolved, blob, rng))
            d_rows[-1]["result_digitized"] = True
        if fee and status not in ("registered", "refused"):
            paid_at = received + dt.timedelta(minutes=rng.randint(1, 90))
            if paid_at <= now and rng.random() < 0.93:
                method = "transfer" if rng.random() < (0.78 if online else 0.35) else "cash"
                p_rows.append({
                    "reference": "HS" + hashlib.sha256(f"{marker}{i}".encode()).hexdigest()[:10]
                    .upper(), "dossier_id": did, "account_id": None, "amount_vnd": fee,
                    "status": PaymentState.PAID, "method": method, "payload": "",
                    "created_at": paid_at,
                    "expires_at": paid_at, "paid_at": paid_at, "bank_code": "BIDV"
                    if method == "transfer" else "", "bank_txn_id": None, "recorded_by_id": None,
                    "remittance_id": None,
                })  # fmt: skip
                d_rows[-1]["fee_paid_by"] = method
        if resolved is not None and rng.random() < 0.3:
            score = rng.choices((5, 4, 3, 2, 1), (58, 27, 8, 4, 3))[0]
            if due is not None and resolved > due:
                score = min(score, rng.choice((2, 3, 4)))
            r_rows.append({"dossier_id": did, "ticket_id": None, "score": score,
                           "reasons": json.dumps(["thoi_gian"] if score < 4 else ["thai_do"]),
                           "comment": "", "source": rng.choice(("kiosk", "status_page")),
                           "at": resolved + dt.timedelta(hours=rng.uniform(1, 48))})  # fmt: skip
    for day, n in seq_by_day.items():
        _set_sequence(session, DossierSequence, n, site_code=site_code, day=day)
    for batch in range(0, len(d_rows), 2000):
        session.execute(insert(Dossier), d_rows[batch : batch + 2000])
    for rows, model in ((e_rows, DossierEvent), (u_rows, Upload), (p_rows, Payment)):
        for batch in range(0, len(rows), 5000):
            session.execute(insert(model), rows[batch : batch + 5000])
    # Counter visits rated on the tablet, some of them.
    for t in ticket_rows:
        if t["state"] == "done" and rng.random() < 0.15:
            r_rows.append({"dossier_id": None, "ticket_id": t["id"],
                           "score": rng.choices((5, 4, 3, 2, 1), (55, 28, 9, 5, 3))[0],
                           "reasons": "[]", "comment": "", "source": "counter",
                           "at": t["finished_at"] + dt.timedelta(minutes=1)})  # fmt: skip
    r_rows = [r for r in r_rows if r["at"] <= now]
    if r_rows:
        session.execute(insert(Rating), r_rows)
    session.commit()
    made.dossiers = dossiers
    made.carried = len(plan) - dossiers
    made.ratings, made.payments, made.uploads = len(r_rows), len(p_rows), len(u_rows)
    say(f"{len(plan)} hồ sơ")
    return made


def _sample_file(folder: Path | None) -> tuple[str, str, int]:
    """One real one-page PDF in the upload folder that every synthetic paper points at (as a
    reused paper does), so a manager who opens one sees a page; without a folder (the
    benchmark), no file: (stored name, sha256, size)."""
    if folder is None:
        return "", hashlib.sha256(b"").hexdigest(), 0
    import io

    from PIL import Image, ImageDraw

    page = Image.new("RGB", (620, 877), "white")
    ImageDraw.Draw(page).text((60, 80), "Ban so hoa mau (du lieu tong hop)", fill="black")
    buf = io.BytesIO()
    page.save(buf, "PDF")
    data = buf.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    name = digest[:32]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        target.write_bytes(data)
    return name, digest, len(data)


def _month_tickets(
    session: Session, rng: random.Random, marker: str, month_days: list[dt.date], dossiers: int,
    tz: dt.tzinfo,
) -> list[dict[str, Any]]:  # fmt: skip
    """The month's queue tickets (about 0.45 a dossier), served at the counters that serve
    their service, with waits, service times and 5% no-shows; written, with their ids."""
    services = list(session.scalars(select(Service).order_by(Service.position, Service.id)))
    counters = list(session.scalars(select(Counter).order_by(Counter.number)))
    if not services or not counters:
        return []
    ticket_rows: list[dict[str, Any]] = []
    serving = {c.id: [s.id for s in c.services] for c in counters}
    per_day = max(1, int(dossiers * 0.45 / len(month_days)))
    for day in month_days:
        seqs: dict[int, int] = {}
        for svc in services:
            seqs[svc.id] = session.scalar(
                select(TicketSequence.last_number).where(
                    TicketSequence.service_id == svc.id, TicketSequence.day == day)
            ) or 0  # fmt: skip
        for _ in range(int(per_day * rng.uniform(0.8, 1.2))):
            svc = rng.choice(services)
            seqs[svc.id] += 1
            queued = _office_time(rng, day)
            wait = dt.timedelta(minutes=rng.expovariate(1 / 14))
            service_time = dt.timedelta(minutes=max(1.5, rng.gauss(svc.default_minutes, 3)))
            can = [c for c in counters if svc.id in serving[c.id]] or counters
            counter = rng.choice(can)
            no_show = rng.random() < 0.05
            estimate = max(0, round(wait.total_seconds() / 60 * rng.uniform(0.6, 1.5)))
            called = queued + wait
            row = {
                "token": hashlib.sha256(f"{marker}{day}{svc.id}{seqs[svc.id]}".encode())
                .hexdigest()[:43],
                "service_id": svc.id, "day": day, "seq": seqs[svc.id], "leg": 0,
                "number": f"{svc.prefix}{seqs[svc.id]:03d}", "priority": rng.random() < 0.06,
                "state": TicketState.NO_SHOW if no_show else TicketState.DONE, "procedure_code": "",
                "counter_id": counter.id, "officer_id": counter.officer_id,
                "issued_at": stored(queued, tz), "queued_at": stored(queued, tz),
                "called_at": stored(called, tz),
                "started_at": None if no_show else stored(called + dt.timedelta(minutes=1), tz),
                "finished_at": None if no_show else stored(
                    called + dt.timedelta(minutes=1) + service_time, tz),
                "recalls": 2 if no_show else 0, "estimated_wait_minutes": estimate,
            }  # fmt: skip
            ticket_rows.append(row)
        for svc_id, n in seqs.items():
            _set_sequence(session, TicketSequence, n, service_id=svc_id, day=day)
    if not ticket_rows:
        return []
    session.execute(insert(Ticket), ticket_rows)
    session.flush()
    # Their ids, by the days they were made on (not an IN list of every token, which a
    # province's month would push past the database's limit on parameters).
    by_token = {
        token: ident for token, ident in session.execute(
            select(Ticket.token, Ticket.id).where(
                Ticket.day >= month_days[0], Ticket.day <= month_days[-1])
        )
    }  # fmt: skip
    for r in ticket_rows:
        r["id"] = by_token[r["token"]]
    return ticket_rows


def _upload(dossier_id: str, name: str, at: dt.datetime, blob: tuple[str, str, int],
            rng: random.Random) -> dict[str, Any]:  # fmt: skip
    """A paper's row, pointing at the one sample file."""
    stored_name, digest, size = blob
    return {"id": str(uuid.UUID(int=rng.getrandbits(128))), "stored_name": stored_name,
            "sha256": digest, "size": size, "media_type": "application/pdf", "pages": 1,
            "original_name": "", "owner": "synthetic", "created_at": at,
            "dossier_id": dossier_id, "document_name": name, "reused_from_id": None}  # fmt: skip


def _set_sequence(session: Session, model: Any, last: int, **key: Any) -> None:
    row = session.get(model, tuple(key.values()) if len(key) > 1 else next(iter(key.values())))
    if row is None:
        session.add(model(last_number=last, **key))
    else:
        row.last_number = max(row.last_number, last)
    session.flush()
