"""`virtual://DIR`: a printer that writes each job as `.bin` (the exact bytes) and `.png` (what
the paper would show, read back from those bytes). The default for `make run`."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from .base import PrinterUnavailable, Status, Transport


class VirtualTransport(Transport):
    scheme = "virtual"

    @property
    def directory(self) -> Path:
        return Path((self.url.netloc + self.url.path) or ".")

    def send(self, data: bytes) -> None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            stem = self.directory / f"{stamp}-{os.getpid()}"
            tmp = stem.with_suffix(".bin.part")
            tmp.write_bytes(data)
            tmp.rename(stem.with_suffix(".bin"))  # a job appears whole or not at all
            from ..reader import read_escpos  # Pillow, loaded only where jobs are sent

            read_escpos(data).image.save(stem.with_suffix(".png"))
        except OSError as exc:
            raise PrinterUnavailable(f"{self.directory}: {exc}") from exc

    def status(self) -> Status:
        return Status.ONLINE if os.access(self.directory.parent, os.W_OK) else Status.OFFLINE
