"""`tcp://host:9100`: network printers (raw port 9100), with real-time status over the socket."""

from __future__ import annotations

import socket
from urllib.parse import parse_qs

from .base import PrinterUnavailable, Status, Transport, query_status


class TcpTransport(Transport):
    scheme = "tcp"

    @property
    def address(self) -> tuple[str, int]:
        return (self.url.hostname or "127.0.0.1", self.url.port or 9100)

    @property
    def timeout(self) -> float:
        return float(parse_qs(self.url.query).get("timeout", ["5"])[0])

    def send(self, data: bytes) -> None:
        try:
            with socket.create_connection(self.address, timeout=self.timeout) as sock:
                sock.sendall(data)
                # Half-close and wait for the printer to close: a job only counts as delivered
                # when the other side has taken every byte.
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(4096):
                    pass
        except OSError as exc:
            raise PrinterUnavailable(f"{self.address[0]}:{self.address[1]}: {exc}") from exc

    def status(self) -> Status:
        try:
            with socket.create_connection(self.address, timeout=self.timeout) as sock:
                sock.settimeout(min(self.timeout, 2.0))

                def exchange(request: bytes) -> int | None:
                    sock.sendall(request)
                    try:
                        reply = sock.recv(1)
                    except TimeoutError:
                        return None
                    return reply[0] if reply else None

                return query_status(exchange)
        except OSError:
            return Status.OFFLINE
