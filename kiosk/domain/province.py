"""At the province's hub: the sites' events stored once each (`receive_all`), and the records
they carry kept in the hub's own tables (`dossier`, `dossier_event`, `payment`, a dossier's
`rating`), so that the hub's lists, dossier pages, reports and index cover every site as they
cover its own; and each site's link and last events (`sync_status`, `/api/v1/sync/status`).

Events about one dossier may reach the hub out of their order (an ingest killed with a batch
unacked gets it again after later ones). Each event carries its place in its site's outbox
(`site_seq`); a dossier's data is taken from an event only when no later event of its family
(`_family`: a dossier's own, a payment, a paper, a rating) about it from
its site is stored, and the moves of its timeline are added whatever their order. A payment,
a rating or a paper whose dossier has not arrived yet waits in `province_event` and is applied
when the dossier arrives (applying one twice changes nothing: each is kept by its own key); a
counter visit's rating stays in `province_event` only. A day's queue figures (`queue.day`) are
kept per site and day in `queue_day_figures`, the latest in the site's outbox standing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, Numeric, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import (
    Dossier,
    DossierEvent,
    Payment,
    ProvinceEvent,
    QueueDayFigures,
    Rating,
    SiteSetting,
    SyncSite,
    Upload,
    User,
)
from .accounts.roles import require
from .clock import utcnow
from .text import N_


def _subject(kind: str, data: dict[str, Any]) -> str | None:
    if kind.startswith("dossier."):
        dossier = data.get("dossier")
        return str(dossier["id"]) if isinstance(dossier, dict) and "id" in dossier else None
    if kind.startswith(("payment.", "rating.", "paper.")):
        return str(data["dossier_id"]) if data.get("dossier_id") else None
    if kind == "queue.day":
        figures = data.get("figures")
        return f"day:{figures['day']}" if isinstance(figures, dict) and "day" in figures else None
    return None


@dataclass(frozen=True)
class Incoming:
    """A site's event as the hub's stream delivered it."""

    event_id: str
    site: str
    kind: str
    payload: str
    occurred_at: dt.datetime
    site_seq: int


def receive_all(session: Session, events: list[Incoming]) -> int:
    """Store the events whose ids are not stored yet, in one INSERT ... ON CONFLICT DO NOTHING
    (two ingests racing never fail), and apply each new one to the hub's tables in the order
    given. Returns how many were new; committed by the caller, which acks the messages only
    after the commit."""
    rows: list[dict[str, Any]] = []
    parsed: dict[str, tuple[Incoming, dict[str, Any], str | None]] = {}
    now = utcnow()
    for e in events:
        if e.event_id in parsed:
            continue
        try:
            data = json.loads(e.payload)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {}
        subject = _subject(e.kind, data)
        parsed[e.event_id] = (e, data, subject)
        rows.append({
            "id": e.event_id, "site": e.site, "kind": e.kind, "payload": e.payload,
            "occurred_at": e.occurred_at, "received_at": now, "site_seq": e.site_seq,
            "subject_id": subject,
        })  # fmt: skip
    if not rows:
        return 0
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    new = set(
        session.scalars(
            insert(ProvinceEvent)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(ProvinceEvent.id)
        )
    )
    for event_id, (e, data, subject) in parsed.items():
        if event_id not in new or subject is None:
            continue
        latest = _latest(session, e.site, subject, e.kind)
        _apply(session, e, data, newest=latest == e.site_seq)
    return len(new)


def _family(kind: str) -> str:
    """What an event's data is about: `dossier` (the record and its moves), `payment`, `paper`,
    `rating`. A later event stands over an earlier one of its own family only: a paper stored
    after a dossier's move says nothing of the dossier's state."""
    return kind.split(".", 1)[0]


def _latest(session: Session, site: str, subject: str, kind: str) -> int | None:
    """The latest place in `site`'s outbox of the events about `subject` of `kind`'s family."""
    return session.scalar(
        select(func.max(ProvinceEvent.site_seq)).where(
            ProvinceEvent.site == site, ProvinceEvent.subject_id == subject,
            ProvinceEvent.kind.startswith(_family(kind) + "."),
        )
    )  # fmt: skip


def receive(
    session: Session, *, event_id: str, site: str, kind: str, payload: str,
    occurred_at: dt.datetime, site_seq: int,
) -> bool:  # fmt: skip
    """One event (`receive_all`): True when it was new."""
    return (
        receive_all(session, [Incoming(event_id, site, kind, payload, occurred_at, site_seq)]) == 1
    )


def _typed(model: Any, data: dict[str, Any]) -> dict[str, Any]:
    """`data`'s values for `model`'s columns, read back from JSON (dates, decimals)."""
    out: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.key not in data:
            continue
        value = data[column.key]
        if value is not None:
            if isinstance(column.type, DateTime):
                value = dt.datetime.fromisoformat(value)
            elif isinstance(column.type, Date):
                value = dt.date.fromisoformat(value)
            elif isinstance(column.type, Numeric):
                value = Decimal(str(value))
        out[column.key] = value
    return out


def _apply(session: Session, e: Incoming, data: dict[str, Any], *, newest: bool) -> None:
    kind = e.kind
    if kind == "queue.day":
        _apply_figures(session, e, data["figures"])
        return
    if kind.startswith("dossier."):
        fields = _typed(Dossier, data["dossier"])
        dossier = session.get(Dossier, fields["id"])
        if dossier is None:
            dossier = Dossier(**fields)
            session.add(dossier)
            _catch_up(session, e, str(fields["id"]))
        elif newest:
            for key, value in fields.items():
                setattr(dossier, key, value)
        move = data.get("move")
        if kind == "dossier.received":
            move = {"at": data["dossier"].get("received_at"), "from_status": "",
                    "to_status": data["dossier"].get("status"),
                    "due_at": data["dossier"].get("due_at")}  # fmt: skip
        if isinstance(move, dict):
            moved = _typed(DossierEvent, move)
            moved.pop("id", None)
            moved.pop("dossier_id", None)
            session.add(DossierEvent(dossier=dossier, **moved))
        return
    dossier = session.get(Dossier, str(data.get("dossier_id")))
    if dossier is None:
        return
    if kind == "paper.stored":
        paper = _typed(Upload, data["paper"])
        found_paper = session.get(Upload, paper["id"])
        if found_paper is None:
            # The metadata only: the file stays at its site (`stored_name` empty) until files
            # move too; the hub's pages show the paper without opening it.
            session.add(Upload(**paper, stored_name="", owner=f"site:{e.site}"[:64]))
        return
    if kind == "rating.stored":
        given = _typed(Rating, data["rating"])
        found = session.scalar(select(Rating).where(Rating.dossier_id == dossier.id))
        if found is None:
            session.add(Rating(**given))
        elif newest:
            for key, value in given.items():
                setattr(found, key, value)
        return
    fields = _typed(Payment, data["payment"])
    fields.pop("id", None)
    paid = session.scalar(select(Payment).where(Payment.reference == fields["reference"]))
    if paid is None:
        session.add(Payment(**fields))
    elif newest:
        for key, value in fields.items():
            setattr(paid, key, value)
    if newest:
        dossier.fee_paid_by = str(data.get("fee_paid_by", ""))


def _catch_up(session: Session, e: Incoming, dossier_id: str) -> None:
    """A dossier arriving after events about it (its papers, payments, rating: a batch
    redelivered out of order): those stored already are applied now, in their site's order
    (one of the same batch is applied again in its turn, which changes nothing)."""
    session.flush()
    earlier = session.scalars(
        select(ProvinceEvent).where(
            ProvinceEvent.site == e.site, ProvinceEvent.subject_id == dossier_id,
            ~ProvinceEvent.kind.startswith("dossier."),
        ).order_by(ProvinceEvent.site_seq)
    ).all()  # fmt: skip
    for row in earlier:
        try:
            data = json.loads(row.payload)
        except ValueError:
            continue
        if isinstance(data, dict):
            was = Incoming(row.id, row.site, row.kind, row.payload, row.occurred_at, row.site_seq)
            latest = _latest(session, row.site, dossier_id, row.kind)
            _apply(session, was, data, newest=row.site_seq == latest)


def _apply_figures(session: Session, e: Incoming, figures: dict[str, Any]) -> None:
    """A site's day of queue figures: kept unless a later event of that day is kept already."""
    day = dt.date.fromisoformat(figures["day"])
    row = session.get(QueueDayFigures, (e.site, day))
    text = json.dumps(figures, ensure_ascii=False, separators=(",", ":"))
    if row is None:
        session.add(QueueDayFigures(site=e.site, day=day, site_seq=e.site_seq, figures=text,
                                    received_at=utcnow()))  # fmt: skip
    elif e.site_seq > row.site_seq:
        row.site_seq, row.figures, row.received_at = e.site_seq, text, utcnow()


def domain_of(site_code: str) -> str:
    """A site's code as the hub's events name it (its JetStream domain: the dots as dashes,
    the rule of `kiosk.sync.names.domain_of`)."""
    return site_code.strip().replace(".", "-")


def queue_figures(
    session: Session, start: dt.date, end: dt.date, site: str | None = None
) -> list[dict[str, Any]]:
    """The sites' days of queue figures from `start` to `end` (of one site, by its code or
    domain, or of every site)."""
    q = select(QueueDayFigures.figures).where(
        QueueDayFigures.day >= start, QueueDayFigures.day <= end
    )
    if site is not None:
        q = q.where(QueueDayFigures.site == domain_of(site))
    return [json.loads(text) for text in session.scalars(q.order_by(QueueDayFigures.day))]


def figure_sites(session: Session) -> list[str]:
    """The sites (their domains) whose queue figures the hub holds."""
    return list(session.scalars(select(QueueDayFigures.site).distinct()))


# ---------------------------------------------------------------- the sync's status

#: A site's link counts as up while the hub's stream heard from it this recently (its durable
#: consumer sends a heartbeat every 5 s when it has nothing to deliver).
LINK_SECONDS = 20


def note_links(session: Session, seen: dict[str, tuple[bool, int]], at: dt.datetime) -> None:
    """Keep what the ingest saw of each site's link: {site: (link up, lag)}; committed by the
    caller."""
    for site, (up, lag) in seen.items():
        row = session.get(SyncSite, site)
        if row is None:
            session.add(SyncSite(site=site, link_up=up, lag=lag, checked_at=at))
        else:
            row.link_up, row.lag, row.checked_at = up, lag, at


@dataclass(frozen=True)
class SiteStatus:
    """One site as the hub sees it: its last event, how many happened today, its link."""

    site: str
    last_event_at: dt.datetime | None
    events_today: int
    link_up: bool


def sync_status(
    session: Session, actor: User | None, *, day_start: dt.datetime, day_end: dt.datetime,
    now: dt.datetime | None = None,
) -> list[SiteStatus]:  # fmt: skip
    """Every site the hub knows (by its link or its events), for someone allowed `sync.read`;
    `day_start`/`day_end` bound today (naive UTC, the site's day). A link last checked more
    than LINK_SECONDS × 3 ago (the ingest stopped) counts as down."""
    require(actor, "sync.read")
    now = now or utcnow()
    links = {row.site: row for row in session.scalars(select(SyncSite))}
    last = dict(
        session.execute(
            select(ProvinceEvent.site, func.max(ProvinceEvent.occurred_at)).group_by(
                ProvinceEvent.site
            )
        ).all()
    )
    today = dict(
        session.execute(
            select(ProvinceEvent.site, func.count())
            .where(ProvinceEvent.occurred_at >= day_start, ProvinceEvent.occurred_at < day_end)
            .group_by(ProvinceEvent.site)
        ).all()
    )
    fresh = now - dt.timedelta(seconds=LINK_SECONDS * 3)
    return [
        SiteStatus(
            site=site,
            last_event_at=last.get(site),
            events_today=int(today.get(site, 0)),
            link_up=site in links and links[site].link_up and links[site].checked_at >= fresh,
        )
        for site in sorted(set(links) | set(last))
    ]


# ---------------------------------------------------------------- a silent site

#: The `site_setting` key of the hours after which a site that sent nothing is flagged on the
#: hub's dashboard, and its default.
SILENT_HOURS = "sync_silent_hours"
DEFAULT_SILENT_HOURS = 2
#: The longest a manager may set (a month).
MAX_SILENT_HOURS = 720


HOURS_REFUSED = N_("Số giờ là một số nguyên từ 1 đến 720 (tối đa 30 ngày).")


class SettingInvalid(ValueError):
    """A setting refused; the message says why, in Vietnamese."""


def silent_hours(session: Session) -> int:
    """The hours after which a silent site is flagged (the manager's, else 2)."""
    row = session.get(SiteSetting, SILENT_HOURS)
    if row is None or not row.value.isdigit():
        return DEFAULT_SILENT_HOURS
    return max(1, min(int(row.value), MAX_SILENT_HOURS))


def set_silent_hours(session: Session, user: User, value: str) -> int:
    """Keep the manager's hours, a whole number from 1 to 720; SettingInvalid otherwise."""
    require(user, "sync.read")
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_SILENT_HOURS:
        raise SettingInvalid(HOURS_REFUSED)
    row = session.get(SiteSetting, SILENT_HOURS) or SiteSetting(key=SILENT_HOURS)
    row.value = str(int(text))
    row.updated_at = utcnow()
    row.updated_by = user.full_name or user.username
    session.add(row)
    session.commit()
    return int(row.value)


def is_silent(site: SiteStatus, hours: int, now: dt.datetime | None = None) -> bool:
    """Whether a site sent nothing for longer than `hours` (or never sent anything)."""
    now = now or utcnow()
    return site.last_event_at is None or now - site.last_event_at > dt.timedelta(hours=hours)
