"""The site's outbox on both engines: each change the province must know writes its event in
the change's own transaction (and a refused change writes none), in order, with the record as
it stands after the change; the hub stores each event once however often it arrives, and keeps
the site's dossiers, their moves and fees in its own tables, a late older event undoing
nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain import dossiers, money, outbox, province, ratings
from kiosk.domain.dossiers import DossierState, TransitionRefused
from kiosk.models import (
    Dossier,
    DossierEvent,
    OutboxEvent,
    Payment,
    ProvinceEvent,
    Rating,
    User,
)  # fmt: skip
from kiosk.storage import make_engine, make_sessionmaker, migrate
from tests.builders import MONDAY_9, receive

S = DossierState


def events(session: Session) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))
    return [(e.kind, json.loads(e.payload)) for e in rows]


def test_a_dossiers_life_and_its_fee_are_told_in_order(
    session: Session,
    staff: dict[str, User],
) -> None:
    d = receive(session, staff).dossier
    kind, body = events(session)[0]
    assert kind == "dossier.received"
    assert body["dossier"]["code"] == d.code and body["dossier"]["status"] == S.ACCEPTED
    assert body["dossier"]["due_at"] == d.due_at.isoformat()  # type: ignore[union-attr]
    assert "idempotency_key" not in body["dossier"]  # the caller's digest stays at the site

    paid = money.record_cash(session, d, staff["officer"], 20000)
    later = MONDAY_9 + dt.timedelta(days=1)
    dossiers.move(session, d, S.RESOLVED, staff["processor"], now=later)
    kinds = [k for k, _ in events(session)]
    assert kinds == ["dossier.received", "payment.paid", "dossier.moved"]
    _, fee = events(session)[1]
    assert fee["payment"]["reference"] == paid.reference and fee["payment"]["amount_vnd"] == 20000
    _, moved = events(session)[2]
    # The record after the move, not before: its resolution and its closing are in it.
    assert moved["dossier"]["status"] == S.RESOLVED
    assert moved["dossier"]["resolved_at"] == later.isoformat()
    assert moved["move"]["from_status"] == S.ACCEPTED and moved["move"]["to_status"] == S.RESOLVED
    ids = [e.id for e in session.scalars(select(OutboxEvent))]
    assert len(set(ids)) == 3 and all(uuid.UUID(i) for i in ids)
    assert [e.id for e in outbox.unsent(session)] == ids and outbox.backlog(session) == 3


def test_a_refused_move_writes_no_event(
    session: Session,
    staff: dict[str, User],
) -> None:
    d = receive(session, staff).dossier
    with pytest.raises(TransitionRefused):
        dossiers.move(session, d, S.RETURNED, staff["processor"])
    assert [k for k, _ in events(session)] == ["dossier.received"]


def test_sent_events_leave_the_backlog(
    session: Session,
    staff: dict[str, User],
) -> None:
    receive(session, staff)
    receive(session, staff)
    first, second = outbox.unsent(session)
    outbox.mark_sent(session, [first.id])
    session.commit()
    assert [e.id for e in outbox.unsent(session)] == [second.id]
    assert outbox.backlog(session) == 1


def test_the_hub_stores_an_event_once_by_its_id(session: Session) -> None:
    at = dt.datetime(2026, 12, 1, 3, 0)
    kw = {"event_id": str(uuid.uuid4()), "site": "000-00-02-H29", "kind": "ticket.issued",
          "payload": "{}", "occurred_at": at, "site_seq": 1}  # fmt: skip
    assert province.receive(session, **kw) is True  # type: ignore[arg-type]
    session.commit()
    assert province.receive(session, **kw) is False  # type: ignore[arg-type]
    session.commit()
    assert session.scalar(select(func.count()).select_from(ProvinceEvent)) == 1


def hub_session(tmp_path: Path) -> Session:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    migrate(url)
    return make_sessionmaker(make_engine(url))()


def deliver(hub: Session, site: Session, order: list[int] | None = None) -> None:
    """The site's events into the hub's database as the ingest writes them, in `order`."""
    rows = list(site.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)))
    for i in order if order is not None else range(len(rows)):
        e = rows[i]
        province.receive(hub, event_id=e.id, site="000-00-01-H29", kind=e.kind,
                         payload=e.payload, occurred_at=e.created_at, site_seq=e.seq)  # fmt: skip
        hub.commit()


def test_the_hub_keeps_a_sites_dossier_its_moves_its_fee_and_its_rating(
    session: Session,
    staff: dict[str, User],
    tmp_path: Path,
) -> None:
    d = receive(session, staff).dossier
    money.record_cash(session, d, staff["officer"], 20000)
    dossiers.move(session, d, S.RESOLVED, staff["processor"], now=MONDAY_9 + dt.timedelta(1))
    ratings.rate(session, 2, [], "Chờ lâu", source="status_page", dossier=d)
    ratings.rate(session, 5, [], "Đã giải quyết", source="status_page", dossier=d)  # again
    hub = hub_session(tmp_path)
    deliver(hub, session)
    got = hub.get(Dossier, d.id)
    assert got is not None and got.code == d.code and got.site_code == d.site_code
    assert got.status == S.RESOLVED and got.resolved_at == d.resolved_at
    assert got.due_at == d.due_at and got.fee_paid_by == "cash" and got.unit == d.unit
    assert [e.to_status for e in got.events] == [S.ACCEPTED, S.RESOLVED]
    paid = hub.scalar(select(Payment).where(Payment.dossier_id == d.id))
    assert paid is not None and paid.status == "paid" and paid.amount_vnd == 20000
    rated = hub.scalar(select(Rating).where(Rating.dossier_id == d.id))
    assert rated is not None and rated.score == 5 and rated.comment == "Đã giải quyết"
    deliver(hub, session)  # all of it again: nothing twice
    assert hub.scalar(select(func.count()).select_from(DossierEvent)) == 2
    assert hub.scalar(select(func.count()).select_from(Payment)) == 1
    assert hub.scalar(select(func.count()).select_from(Rating)) == 1


def test_an_older_event_arriving_late_does_not_undo_a_newer_one(
    session: Session,
    staff: dict[str, User],
    tmp_path: Path,
) -> None:
    d = receive(session, staff).dossier
    dossiers.move(session, d, S.RESOLVED, staff["processor"], now=MONDAY_9 + dt.timedelta(1))
    hub = hub_session(tmp_path)
    deliver(hub, session, order=[1, 0])  # the move first, the filing after
    got = hub.get(Dossier, d.id)
    assert got is not None and got.status == S.RESOLVED
    assert sorted(e.to_status for e in got.events) == sorted([S.ACCEPTED, S.RESOLVED])
