"""What the relay and the ingest share: a client of the local server that waits for it and
reconnects for ever, the loop that runs one step after another on it, and the process around
that loop (the settings, the database, `python -m`)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from .. import config as cfg
from ..storage import make_engine, make_sessionmaker

#: One step of a loop (publish a batch, ingest a batch): how many records it moved.
Step = Callable[[], Awaitable[int]]


def servers_of(url: str) -> list[str]:
    """The servers of a URL: one, or a clustered hub's nodes comma-separated."""
    return [u.strip() for u in url.split(",") if u.strip()]


async def connect(url: str, *, retry_every: float = 1.0, **options: Any) -> Any:
    """A client of the local server that waits for it to be up (started after the app, or
    restarting) and then reconnects for ever, as the relay and the ingest must. `url` may
    name several servers, comma-separated (the nodes of a clustered hub)."""
    from urllib.parse import unquote, urlsplit

    import nats

    first = urlsplit(servers_of(url)[0])
    if first.username and first.password and "user" not in options:
        # given for every server, so the cluster's other nodes it learns of sign in as well
        options |= {"user": unquote(first.username), "password": unquote(first.password)}
    while True:
        try:
            return await nats.connect(
                servers_of(url),
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                connect_timeout=2,
                **options,
            )
        except Exception as exc:  # noqa: BLE001 - not up yet: try again
            logging.getLogger("kiosk.sync").warning(
                "Máy chủ NATS %s chưa sẵn sàng (%s); thử lại.", url.split("@")[-1], exc
            )
            await asyncio.sleep(retry_every)


async def run_steps(
    url: str,
    factory: sessionmaker[Session],
    make_step: Callable[[Any, Session], Step],
    *,
    log: logging.Logger,
    unreachable: str,
    moved: str,
    idle: float = 0.0,
    retry_database: bool = False,
    stop: asyncio.Event | None = None,
) -> None:
    """Run `make_step(client, session)`'s step until `stop` is set (forever without one): a
    NATS error waits a second and tries again (the client reconnects meanwhile); with
    `retry_database`, so does a database error, after five; a step that moved nothing waits
    `idle` seconds."""
    from nats.errors import Error as NatsError

    nc = await connect(url)
    session = factory()
    step = make_step(nc, session)
    try:
        while stop is None or not stop.is_set():
            try:
                n = await step()
            except (NatsError, TimeoutError) as exc:
                log.warning(unreachable, exc)
                await asyncio.sleep(1)
                continue
            except Exception:
                if not retry_database:
                    raise
                log.exception("Lỗi cơ sở dữ liệu, thử lại sau 5 giây.")
                session.rollback()
                await asyncio.sleep(5)
                continue
            if n:
                log.info(moved, n)
            elif idle:
                await asyncio.sleep(idle)
    finally:
        session.close()
        await nc.close()


def run_process(
    instance_path: str,
    config: dict[str, Any] | None,
    body: Callable[[str, dict[str, Any], sessionmaker[Session]], Coroutine[Any, Any, None]],
    *,
    missing: str,
) -> None:
    """`body(url, config, sessions)` with the settings of `instance_path` (or `config`), the
    database and no Flask; `missing` is what to say when KIOSK_NATS_URL is not set."""
    config = config if config is not None else cfg.load(instance_path)
    url = str(config.get("NATS_URL") or "")
    if not url:
        raise SystemExit(missing)
    engine = make_engine(
        config["DATABASE_URL"], busy_timeout_ms=int(config["SQLITE_BUSY_TIMEOUT_MS"])
    )
    try:
        asyncio.run(body(url, config, make_sessionmaker(engine)))
    finally:
        engine.dispose()


def main(run: Callable[[str], None]) -> None:
    """`python -m` of the relay or the ingest: `run(instance path)` until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    instance = os.environ.get("KIOSK_INSTANCE_PATH") or os.path.join(os.getcwd(), "instance")
    try:
        run(instance)
    except KeyboardInterrupt:
        sys.exit(0)
