"""Transports chosen by URL: tcp://, usb://, serial://, file://, cups://, virtual://."""

from __future__ import annotations

from urllib.parse import urlsplit

from .base import PrinterUnavailable, Status, Transport
from .cups import CupsTransport
from .file import FileTransport
from .serial import SerialTransport
from .tcp import TcpTransport
from .usb import UsbTransport
from .virtual import VirtualTransport

TRANSPORTS: dict[str, type[Transport]] = {
    t.scheme: t
    for t in (
        TcpTransport,
        UsbTransport,
        SerialTransport,
        FileTransport,
        CupsTransport,
        VirtualTransport,
    )
}


def open_transport(url: str) -> Transport:
    """The transport for `url`, e.g. `tcp://192.168.1.50:9100` or `virtual://instance/prints`."""
    parts = urlsplit(url)
    cls = TRANSPORTS.get(parts.scheme)
    if cls is None:
        known = ", ".join(f"{s}://" for s in TRANSPORTS)
        raise ValueError(f"Địa chỉ máy in không hợp lệ: {url!r} (dùng {known})")
    return cls(parts)


__all__ = ["PrinterUnavailable", "Status", "Transport", "TRANSPORTS", "open_transport"]
