"""`file:///path`: a device node such as /dev/usb/lp0, or a plain file (appended to)."""

from __future__ import annotations

from pathlib import Path

from .base import PrinterUnavailable, Status, Transport


class FileTransport(Transport):
    scheme = "file"

    @property
    def path(self) -> Path:
        return Path(self.url.path)

    def send(self, data: bytes) -> None:
        try:
            with self.path.open("ab") as f:
                f.write(data)
                f.flush()
        except OSError as exc:
            raise PrinterUnavailable(f"{self.path}: {exc}") from exc

    def status(self) -> Status:
        return Status.UNKNOWN if self.path.parent.is_dir() else Status.OFFLINE
