"""`cups://QUEUE`: a CUPS queue, sent raw with the `lp` command."""

from __future__ import annotations

import shutil
import subprocess

from .base import PrinterUnavailable, Status, Transport


class CupsTransport(Transport):
    scheme = "cups"

    @classmethod
    def is_usable(cls) -> bool:
        return shutil.which("lp") is not None

    def send(self, data: bytes) -> None:
        if not self.is_usable():
            raise PrinterUnavailable(
                "the lp command is not installed (apt-get install cups-client)"
            )
        queue = self.url.netloc
        try:
            subprocess.run(
                ["lp", "-d", queue, "-o", "raw", "-"], input=data, check=True, capture_output=True,
                timeout=30,
            )  # fmt: skip
        except (subprocess.SubprocessError, OSError) as exc:
            raise PrinterUnavailable(f"cups {queue}: {exc}") from exc

    def status(self) -> Status:
        if not shutil.which("lpstat"):
            return Status.UNKNOWN
        run = subprocess.run(["lpstat", "-p", self.url.netloc], capture_output=True, text=True)
        if run.returncode != 0 or "disabled" in run.stdout:
            return Status.OFFLINE
        return Status.ONLINE
