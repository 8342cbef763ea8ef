"""The print spooler as its own light process: `python -m kiosk.spooler` (what `kiosk serve`
starts beside gunicorn).

It delivers stored print jobs (`kiosk.domain.printing.spooler`) and needs only the database and
`printers/`: it reads the configuration without Flask (`config.load`) and never imports the
web application, so it costs tens of megabytes less than `kiosk spooler`, which does the same
from the command line.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from . import config as cfg
from .domain.printing.spooler import deliver_due
from .storage import make_engine, make_sessionmaker

log = logging.getLogger("kiosk.spooler")


def run(
    instance_path: str,
    *,
    once: bool = False,
    interval: float = 0.5,
    config: dict[str, Any] | None = None,
) -> None:
    """Deliver due jobs every `interval` seconds (once, with `once`), surviving a lost database
    link. `config` is the app's when called from `kiosk spooler`; else it is read here."""
    config = config if config is not None else cfg.load(instance_path)
    policy = cfg.printer_policy(config, instance_path)
    engine = make_engine(
        config["DATABASE_URL"], busy_timeout_ms=int(config["SQLITE_BUSY_TIMEOUT_MS"])
    )
    session = make_sessionmaker(engine)()
    try:
        while True:
            try:
                printed = deliver_due(session, policy=policy)
            except Exception:  # noqa: BLE001 - a lost database link: try again
                if once:
                    raise
                log.exception("Bộ đệm in: lỗi, thử lại sau 5 giây.")
                session.rollback()
                time.sleep(5)
                continue
            if printed:
                log.info("Đã in %d phiếu.", printed)
            if once:
                break
            time.sleep(interval)
    finally:
        session.close()
        engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s spooler %(message)s")
    instance = os.environ.get("KIOSK_INSTANCE_PATH") or str(Path.cwd() / "instance")
    run(str(Path(instance).resolve()), once="--once" in sys.argv[1:])


if __name__ == "__main__":
    main()
