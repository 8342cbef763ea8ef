"""The ingest: at the hub, every site's events read from the hub's stream PROVINCE (a durable
pull consumer) and written into the province's database, once by event id, each batch
committed before its messages are acked. `kiosk sync ingest`, with the province's
`DATABASE_URL` (PostgreSQL) and the hub's `KIOSK_NATS_URL` (`DIR/local-url` of the hub).

Killed between the commit and the acks, it gets the same messages again and stores nothing
twice (`outbox.receive` is an INSERT ... ON CONFLICT DO NOTHING). An event the hub cannot
apply to its tables never stops it: `province.receive_all` keeps it stored with its error and
applies the rest, the batch is committed and acked as any other, and `kiosk sync reapply` tries
it again once its cause is set right. A message whose site the hub stamped disagrees with the
site in its own subject is a forged record: it is logged and terminated, never stored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ..domain import province
from . import client, names

log = logging.getLogger("kiosk.sync.ingest")


def _occurred_at(headers: dict[str, str] | None) -> dt.datetime:
    raw = (headers or {}).get("Kiosk-At", "")
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _seq(headers: dict[str, str] | None) -> int:
    try:
        return int((headers or {}).get("Kiosk-Seq", "0"))
    except ValueError:
        return 0


async def ingest_batch(session: Session, sub: Any, *, batch: int = 200) -> int:
    """Fetch up to `batch` messages, store the new ones, commit, then ack them all. Returns
    how many new events were stored (0 when none waited)."""
    from nats.errors import TimeoutError as NatsTimeout

    try:
        msgs = await sub.fetch(batch, timeout=1)
    except (NatsTimeout, TimeoutError):
        return 0
    keep: list[Any] = []
    forged: list[Any] = []
    incoming: list[province.Incoming] = []
    for msg in msgs:
        parsed = names.parse_hub_subject(msg.subject)
        event_id = (msg.headers or {}).get("Nats-Msg-Id", "")
        if parsed is None or not event_id:
            forged.append(msg)
            continue
        site, kind = parsed
        incoming.append(
            province.Incoming(
                event_id,
                site,
                kind,
                msg.data.decode("utf-8", "replace"),
                _occurred_at(msg.headers),
                _seq(msg.headers),
            )
        )
        keep.append(msg)
    try:
        stored = province.receive_all(session, incoming)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    for msg in keep:
        await msg.ack()
    for msg in forged:
        log.error("Bỏ bản ghi không hợp lệ: %s", msg.subject)
        await msg.term()
    return stored


async def check_links(nc: Any, session: Session) -> None:
    """Note each site's link as the hub's stream sees it: its source active recently."""
    msg = await nc.request(f"$JS.API.STREAM.INFO.{names.HUB_STREAM}", b"{}", timeout=5)
    info = json.loads(msg.data)
    seen: dict[str, tuple[bool, int]] = {}
    for source in info.get("sources") or []:
        api = str((source.get("external") or {}).get("api", ""))
        if not (api.startswith("$JS.") and api.endswith(".API")):
            continue
        active = int(source.get("active", -1))
        up = 0 <= active < province.LINK_SECONDS * 1_000_000_000
        seen[api[4:-4]] = (up, int(source.get("lag", -1)))
    province.note_links(session, seen, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    session.commit()


async def run_async(
    url: str, factory: sessionmaker[Session], *, stop: asyncio.Event | None = None
) -> None:
    """Ingest until `stop` is set (forever without one)."""

    def make_step(nc: Any, session: Session) -> client.Step:
        js = nc.jetstream()
        sub = None
        checked = 0.0

        async def step() -> int:
            nonlocal sub, checked
            if time.monotonic() - checked > 5:
                checked = time.monotonic()
                await check_links(nc, session)
            if sub is None:
                sub = await js.pull_subscribe_bind(names.INGEST_CONSUMER, names.HUB_STREAM)
            return await ingest_batch(session, sub)

        return step

    await client.run_steps(url, factory, make_step, log=log, stop=stop,
                           unreachable="Trạm tỉnh chưa sẵn sàng: %s",
                           moved="Đã ghi %d sự kiện.")  # fmt: skip


def run(instance_path: str, config: dict[str, Any] | None = None) -> None:
    async def body(url: str, _conf: dict[str, Any], factory: sessionmaker[Session]) -> None:
        await run_async(url, factory)

    missing = "KIOSK_NATS_URL chưa đặt: địa chỉ máy chủ NATS của trạm tỉnh."
    client.run_process(instance_path, config, body, missing=missing)


if __name__ == "__main__":
    client.main(run)
