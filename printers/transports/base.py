"""What every transport does: send a whole job, and say how the printer is."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable
from urllib.parse import SplitResult


class Status(enum.StrEnum):
    """A printer's state as the office screen shows it."""

    ONLINE = "online"
    OFFLINE = "offline"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    UNKNOWN = "unknown"  # reachable, but this transport cannot read the printer's status


class PrinterUnavailable(OSError):
    """The job did not reach the printer whole; it must be sent again, whole."""


#: Real-time status requests (Epson ESC/POS `DLE EOT n`).
DLE_EOT_PRINTER = b"\x10\x04\x01"
DLE_EOT_OFFLINE_CAUSE = b"\x10\x04\x02"
DLE_EOT_PAPER = b"\x10\x04\x04"


def decode_status(printer: int | None, cause: int | None, paper: int | None) -> Status:
    """The state from the three status bytes (None where the printer did not answer)."""
    if printer is None:
        return Status.UNKNOWN
    if cause is not None and cause & 0x04:
        return Status.COVER_OPEN
    if (paper is not None and paper & 0x60) or (cause is not None and cause & 0x20):
        return Status.PAPER_OUT
    if printer & 0x08:
        return Status.OFFLINE
    return Status.ONLINE


def query_status(exchange: Callable[[bytes], int | None]) -> Status:
    """Ask the three `DLE EOT` questions through `exchange` (send a request, return the reply
    byte or None) and decode the answers."""
    return decode_status(
        *(exchange(r) for r in (DLE_EOT_PRINTER, DLE_EOT_OFFLINE_CAUSE, DLE_EOT_PAPER))
    )


class Transport(ABC):
    """A way to a printer, made from a URL."""

    scheme: str = ""

    def __init__(self, url: SplitResult) -> None:
        self.url = url

    @abstractmethod
    def send(self, data: bytes) -> None:
        """Deliver `data` whole, or raise PrinterUnavailable."""

    def status(self) -> Status:
        """The printer's state; transports that cannot read one answer UNKNOWN."""
        return Status.UNKNOWN

    @classmethod
    def is_usable(cls) -> bool:
        """Whether what this transport needs (a library, a command) is installed."""
        return True
