"""The relay: at a site, the outbox's unsent events published in order to the site's own
NATS JetStream server, each with its id as `Nats-Msg-Id`, and marked sent once the server has
acked it. `python -m kiosk.sync.relay` (what `kiosk serve` starts beside the spooler when
`KIOSK_NATS_URL` is set) or `kiosk sync relay`.

It talks to its own server on loopback only, so it never waits for the hub: the server keeps
the events while the link is down and the hub sources them when it is back. A crash between
the ack and the commit publishes the event again; the stream drops the repeat within its
duplicate window and the hub's ingest beyond it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ..domain import outbox
from . import client, names

log = logging.getLogger("kiosk.sync.relay")


async def relay_once(
    session: Session, js: Any, domain: str, *, batch: int = 500, window: int = 100
) -> int:
    """Publish the oldest unsent events, `window` at a time in flight on the one connection
    (so the server stores them in their order), and mark and commit those the server acked.
    One that is not acked stops the batch and is published again next time, after some that
    follow it: the hub keeps each record's latest data by its place in the outbox (`Kiosk-Seq`),
    so a late repeat undoes nothing. Returns how many were sent."""
    events = [
        (e.id, e.seq, e.kind, outbox.payload_of(session, e), e.created_at)
        for e in outbox.unsent(session, batch)
    ]  # a day's queue figures are counted now, as they stand (`outbox.payload_of`)
    session.rollback()  # ends the read transaction: the next batch sees new events
    sent: list[str] = []
    failure: BaseException | None = None
    for start in range(0, len(events), window):
        chunk = events[start : start + window]
        acks = await asyncio.gather(
            *(
                js.publish(
                    names.event_subject(domain, kind),
                    payload.encode(),
                    headers={
                        "Nats-Msg-Id": event_id,
                        "Kiosk-Seq": str(seq),
                        "Kiosk-At": created_at.isoformat(),
                    },
                    timeout=5,
                )
                for event_id, seq, kind, payload, created_at in chunk
            ),
            return_exceptions=True,
        )
        for (event_id, *_), ack in zip(chunk, acks, strict=True):
            if isinstance(ack, BaseException):
                failure = failure or ack
            else:
                sent.append(event_id)
        if failure is not None:
            break
    if sent:
        outbox.mark_sent(session, sent)
        session.commit()
    if failure is not None:
        raise failure
    return len(sent)


async def run_async(
    url: str,
    site_code: str,
    factory: sessionmaker[Session],
    *,
    interval: float = 0.3,
    stop: asyncio.Event | None = None,
) -> None:
    """Relay until `stop` is set (forever without one), reconnecting as often as needed."""
    domain = names.domain_of(site_code)

    def make_step(nc: Any, session: Session) -> client.Step:
        js = nc.jetstream()
        return lambda: relay_once(session, js, domain)

    await client.run_steps(
        url, factory, make_step, log=log, idle=interval, retry_database=True, stop=stop,
        unreachable="Chưa gửi được sự kiện lên máy chủ NATS của đơn vị: %s",
        moved="Đã gửi %d sự kiện.",
    )  # fmt: skip


def run(instance_path: str, config: dict[str, Any] | None = None) -> None:
    """The relay as a light process: the database and the client, no Flask."""

    async def body(url: str, conf: dict[str, Any], factory: sessionmaker[Session]) -> None:
        await run_async(url, str(conf["SITE_CODE"]), factory)

    missing = "KIOSK_NATS_URL chưa đặt: không có gì để chuyển lên tỉnh."
    client.run_process(instance_path, config, body, missing=missing)


if __name__ == "__main__":
    client.main(run)
