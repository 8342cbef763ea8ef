"""At the province's hub: the sites' events stored once each (`receive_all`), and the records
they carry kept in the hub's own tables (`dossier`, `dossier_event`, `payment`, a dossier's
`rating`), so that the hub's lists, dossier pages, reports and index cover every site as they
cover its own; and each site's link and last events (`sync_status`, `/api/v1/sync/status`).

Events about one dossier may reach the hub out of their order (an ingest killed with a batch
unacked gets it again after later ones). Each event carries its place in its site's outbox
(`site_seq`); a dossier's data is taken from an event only when no later event about it from
its site is stored, and the moves of its timeline are added whatever their order. A payment
or a rating whose dossier has not arrived yet, and a counter visit's rating, stay in
`province_event` only.
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

from ..models import Dossier, DossierEvent, Payment, ProvinceEvent, Rating, SyncSite, User
from .accounts.roles import require
from .clock import utcnow


def _subject(kind: str, data: dict[str, Any]) -> str | None:
    if kind.startswith("dossier."):
        dossier = data.get("dossier")
        return str(dossier["id"]) if isinstance(dossier, dict) and "id" in dossier else None
    if kind.startswith(("payment.", "rating.")):
        return str(data["dossier_id"]) if data.get("dossier_id") else None
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
        latest = session.scalar(
            select(func.max(ProvinceEvent.site_seq)).where(
                ProvinceEvent.site == e.site, ProvinceEvent.subject_id == subject
            )
        )
        _apply(session, e.kind, data, newest=latest == e.site_seq)
    return len(new)


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


def _apply(session: Session, kind: str, data: dict[str, Any], *, newest: bool) -> None:
    if kind.startswith("dossier."):
        fields = _typed(Dossier, data["dossier"])
        dossier = session.get(Dossier, fields["id"])
        if dossier is None:
            dossier = Dossier(**fields)
            session.add(dossier)
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
