"""The site's outbox (*hàng đợi đồng bộ lên tỉnh*): every change the province must know is
written here, in the same transaction as the change, by `record`. Nothing here talks to the
network: the relay (`kiosk.sync.relay`, a process of its own, run only when `KIOSK_NATS_URL`
is set) publishes the unsent events in order and marks them sent; the hub's ingest
(`kiosk.sync.ingest`) stores each once by its id (`domain.province.receive`).

What each kind carries (`payload`, JSON), all of it what the province's reports and index read:

| kind | when | payload |
|---|---|---|
| `dossier.received` | a dossier is filed (kiosk, counter, agent, API) | `dossier`: the record |
| `dossier.moved` | a move (resolved, returned, an apology...) | `dossier` and `move` |
| `payment.paid` | a fee paid (in cash, by the bank) | `payment`, `dossier_id`, `fee_paid_by` |
| `payment.refunded` | a paid fee refunded | `payment`, `dossier_id`, `fee_paid_by` |
| `rating.stored` | a citizen rates a dossier or a counter visit | `rating`, `dossier_id` |
| `paper.stored` | a paper or result becomes a dossier's (after its event) | `paper`, `dossier_id` |
| `queue.day` | a ticket's change (issued, called, served...) | `figures` of its day, as sent |

`paper` is the paper's metadata (its name in the dossier, media type, size, sha256, pages,
uploaded at), not the bytes; `figures` are the day's queue figures
(`reports.queue.day_figures`).

A ticket's change (issued, called, served, a no-show, a transfer) writes a `queue.day` event
in its transaction, last thing (under the queue's event lock): the day's event not sent yet,
if any, is replaced (deleted, a new one added at the end), so an offline day holds one event
per day, not one per change; once sent, the next change adds a new one. The row holds the day
only; the relay sends the day's figures as they stand then (`payload_of`), so a change costs a
delete and an insert, not a count of the day. A repeat of an event carries the same figures
(any change since would have replaced it), and at the hub, of a site's events about one day
the latest in its outbox stands, as for a dossier (`province.py`). So the day's last
figures reach the hub after any outage, exactly once.

`dossier` is the whole record as it stands after the change (not a diff), so the hub can keep
the latest by the event order and a lost or reordered event never leaves a half record.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..models import Dossier, DossierEvent, OutboxEvent, Payment, Rating, Upload
from .clock import VIETNAM, utcnow

#: The kinds an event may have; a new one is added here and in the table above.
KINDS = (
    "dossier.received", "dossier.moved", "payment.paid", "payment.refunded", "rating.stored",
    "paper.stored", "queue.day",
)  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(row: Any, skip: Sequence[str] = ()) -> dict[str, Any]:
    return {c.key: _plain(getattr(row, c.key)) for c in row.__table__.columns if c.key not in skip}


#: Columns that stay at the site: a caller's idempotency digest and local account ids, which
#: mean nothing at the province (the names travel with the moves instead).
_DOSSIER_LOCAL = ("idempotency_key", "request_digest", "ticket_id", "received_by_id", "agent_id")


def dossier_record(dossier: Dossier) -> dict[str, Any]:
    """The dossier as the province keeps it."""
    return _columns(dossier, _DOSSIER_LOCAL)


def record(session: Session, kind: str, payload: dict[str, Any]) -> OutboxEvent:
    """Add an event to the outbox in the caller's transaction (committed, or rolled back,
    with the change it tells of)."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox event kind: {kind}")
    event = OutboxEvent(
        id=str(uuid.uuid4()),
        kind=kind,
        payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_plain),
        created_at=utcnow(),
    )
    session.add(event)
    return event


def dossier_received(session: Session, dossier: Dossier) -> OutboxEvent:
    return record(session, "dossier.received", {"dossier": dossier_record(dossier)})


def dossier_moved(session: Session, dossier: Dossier, move: DossierEvent) -> OutboxEvent:
    return record(
        session,
        "dossier.moved",
        {"dossier": dossier_record(dossier), "move": _columns(move, ("id", "actor_id"))},
    )


def payment(session: Session, kind: str, paid: Payment) -> OutboxEvent:
    """A payment as it stands, with how its dossier's fee stands paid after it (`fee_paid_by`,
    which the service index reads): called after the settlement, in its transaction."""
    way = session.scalar(select(Dossier.fee_paid_by).where(Dossier.id == paid.dossier_id))
    return record(
        session,
        kind,
        {
            "payment": _columns(paid, ("recorded_by_id", "account_id", "remittance_id", "site")),
            "dossier_id": paid.dossier_id,
            "fee_paid_by": way or "",
        },
    )


def rating(session: Session, given: Rating) -> OutboxEvent:
    """A citizen's rating as it stands (given again, it replaces the first); `dossier_id` is
    None for a counter visit's, whose ticket stays at the site."""
    return record(
        session,
        "rating.stored",
        {"rating": _columns(given, ("id", "ticket_id")), "dossier_id": given.dossier_id},
    )


#: What a paper's event carries: its metadata, not the file (nor the citizen's file name, nor
#: who at the site sent it); the bytes move in a later step.
_PAPER = ("id", "dossier_id", "document_name", "media_type", "size", "sha256", "pages",
          "created_at", "reused_from_id")  # fmt: skip


def papers(session: Session, dossier: Dossier, added: Sequence[Upload]) -> list[OutboxEvent]:
    """Each paper (or result) just made the dossier's, after the dossier's own event."""
    return [
        record(session, "paper.stored",
               {"paper": {k: _plain(getattr(up, k)) for k in _PAPER}, "dossier_id": dossier.id})
        for up in added
    ]  # fmt: skip


def queue_day(session: Session, day: dt.date) -> OutboxEvent:
    """Tell that `day`'s queue figures changed: the day's event not sent yet is replaced by a
    new one at the end of the outbox. Cheap (it runs at every ticket change): the figures
    themselves are counted when the event is sent (`payload_of`)."""
    marker = json.dumps({"day": day.isoformat()}, separators=(",", ":"))
    session.execute(
        delete(OutboxEvent).where(
            OutboxEvent.kind == "queue.day", OutboxEvent.sent_at.is_(None),
            OutboxEvent.payload == marker,
        )
    )  # fmt: skip
    return record(session, "queue.day", {"day": day.isoformat()})


def payload_of(session: Session, event: OutboxEvent, tz: dt.tzinfo = VIETNAM) -> str:
    """What an event carries when it is sent: its payload, or for a day's queue figures the
    figures as they stand now (`{"figures": ...}`). Counted now, they are the same however
    often the event is sent: any ticket change since would have replaced the event."""
    if event.kind != "queue.day":
        return event.payload
    from .reports.queue import day_figures

    day = dt.date.fromisoformat(json.loads(event.payload)["day"])
    return json.dumps({"figures": day_figures(session, day, tz)}, ensure_ascii=False,
                      separators=(",", ":"))  # fmt: skip


def unsent(session: Session, limit: int = 500) -> list[OutboxEvent]:
    """The oldest events not yet acked by the site's server, in the order they were made."""
    return list(
        session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.sent_at.is_(None))
            .order_by(OutboxEvent.seq)
            .limit(limit)
        )
    )


def mark_sent(session: Session, ids: Sequence[str], at: dt.datetime | None = None) -> None:
    """Stamp events the site's server acked; committed by the caller."""
    if ids:
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(list(ids)), OutboxEvent.sent_at.is_(None))
            .values(sent_at=at or utcnow())
        )


def backlog(session: Session) -> int:
    """How many events wait to be sent."""
    from sqlalchemy import func

    return int(
        session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.sent_at.is_(None))
        )
        or 0
    )


def last_sent(session: Session) -> dt.datetime | None:
    """When the site's server last acked an event (the relay's last send), None if never."""
    from sqlalchemy import func

    found: dt.datetime | None = session.scalar(select(func.max(OutboxEvent.sent_at)))
    return found
