"""The site's outbox on both engines: each change the province must know writes its event in
the change's own transaction (and a refused change writes none), in order, with the record as
it stands after the change; the hub stores each event once however often it arrives."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain import dossiers, outbox, payments
from kiosk.domain.dossier_states import DossierState, TransitionRefused
from kiosk.models import OutboxEvent, ProvinceEvent, User

from .test_dossiers import MONDAY_9, receive, staff  # noqa: F401 - the fixture

S = DossierState


def events(session: Session) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))
    return [(e.kind, json.loads(e.payload)) for e in rows]


def test_a_dossiers_life_and_its_fee_are_told_in_order(
    session: Session,
    staff: dict[str, User],  # noqa: F811
) -> None:
    d = receive(session, staff).dossier
    kind, body = events(session)[0]
    assert kind == "dossier.received"
    assert body["dossier"]["code"] == d.code and body["dossier"]["status"] == S.ACCEPTED
    assert body["dossier"]["due_at"] == d.due_at.isoformat()  # type: ignore[union-attr]
    assert "idempotency_key" not in body["dossier"]  # the caller's digest stays at the site

    paid = payments.record_cash(session, d, staff["officer"], 20000)
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
    staff: dict[str, User],  # noqa: F811
) -> None:
    d = receive(session, staff).dossier
    with pytest.raises(TransitionRefused):
        dossiers.move(session, d, S.RETURNED, staff["processor"])
    assert [k for k, _ in events(session)] == ["dossier.received"]


def test_sent_events_leave_the_backlog(
    session: Session,
    staff: dict[str, User],  # noqa: F811
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
    kw = {"event_id": str(uuid.uuid4()), "site": "000-00-02-H29", "kind": "dossier.received",
          "payload": "{}", "occurred_at": at}  # fmt: skip
    assert outbox.receive(session, **kw) is True  # type: ignore[arg-type]
    session.commit()
    assert outbox.receive(session, **kw) is False  # type: ignore[arg-type]
    session.commit()
    assert session.scalar(select(func.count()).select_from(ProvinceEvent)) == 1
