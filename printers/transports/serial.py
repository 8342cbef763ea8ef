"""`serial:///dev/ttyUSB0?baudrate=115200`: serial printers, through pyserial when installed."""

from __future__ import annotations

import importlib.util
from typing import Any
from urllib.parse import parse_qs

from .base import PrinterUnavailable, Status, Transport, query_status


class SerialTransport(Transport):
    scheme = "serial"

    @classmethod
    def is_usable(cls) -> bool:
        return importlib.util.find_spec("serial") is not None

    def _open(self) -> Any:
        import serial

        q = parse_qs(self.url.query)
        return serial.Serial(
            self.url.path,
            baudrate=int(q.get("baudrate", ["9600"])[0]),
            timeout=float(q.get("timeout", ["2"])[0]),
            write_timeout=float(q.get("timeout", ["10"])[0]),
        )

    def send(self, data: bytes) -> None:
        if not self.is_usable():
            raise PrinterUnavailable("pyserial is not installed: pip install pyserial")
        try:
            with self._open() as port:
                port.write(data)
                port.flush()
        except OSError as exc:
            raise PrinterUnavailable(f"{self.url.path}: {exc}") from exc

    def status(self) -> Status:
        if not self.is_usable():
            return Status.UNKNOWN
        try:
            with self._open() as port:

                def exchange(request: bytes) -> int | None:
                    port.write(request)
                    reply = port.read(1)
                    return reply[0] if reply else None

                return query_status(exchange)
        except OSError:
            return Status.OFFLINE
