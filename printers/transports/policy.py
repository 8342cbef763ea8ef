"""Which printer addresses may be used: a printer's address is typed by a person, and the
spooler then writes to it, so an address is a way into the machine.

- `file://` only to printer devices (`/dev/usb/lp*`, `/dev/ttyUSB*`, `/dev/ttyACM*`) or into
  folders the site lists;
- `serial://` only to serial devices (`/dev/ttyUSB*`, `/dev/ttyACM*`, `/dev/ttyS*`);
- `virtual://` only under one folder (the instance folder);
- `tcp://` only to the ports listed (9100-9109 by default, the raw printing ports);
- `cups://` only to a queue name of letters, digits, `-`, `_` and `.`;
- `usb://` only as `VID:PID` in hexadecimal.

Paths are resolved (`..` and symbolic links followed) before they are compared.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PRINTER_DEVICES = ("/dev/usb/lp*", "/dev/ttyUSB*", "/dev/ttyACM*")
SERIAL_DEVICES = ("/dev/ttyUSB*", "/dev/ttyACM*", "/dev/ttyS*")
DEFAULT_TCP_PORTS = frozenset(range(9100, 9110))
_CUPS_QUEUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_USB_ID = re.compile(r"^[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}$")


class AddressRefused(ValueError):
    """A printer address outside what the site allows; the message names the rule."""


def parse_ports(value: str | int | Iterable[str | int]) -> frozenset[int]:
    """Ports from a number (9100), a string of ports and ranges ("9100-9109,9200") or a list
    of either ([9100, "9200-9201"]); ValueError if one is malformed or outside 1-65535.

    All three reach here from the settings: `KIOSK_*` variables are read as JSON where they
    parse, so `KIOSK_PRINTER_TCP_PORTS=9100` arrives as the number 9100 and `[9100,9200]` as a
    list; only a range such as `9100-9109` stays a string."""
    if isinstance(value, bool):  # JSON's true/false are ints to Python, and no port
        raise ValueError(f"invalid port {value!r}")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        ports: set[int] = set()
        for item in value:
            ports |= parse_ports(item)
        return frozenset(ports)
    ports = set()
    for part in value.replace(" ", "").split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if not (0 < first <= last < 65536):
            raise ValueError(f"invalid port range {part!r}")
        ports.update(range(first, last + 1))
    return frozenset(ports)


def _resolved(path: str) -> Path:
    return Path(os.path.realpath(path))


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass(frozen=True)
class AddressPolicy:
    """The addresses a site allows. `virtual_root` is the one folder virtual printers may write
    under; `file_dirs` are folders, besides printer devices, that `file://` may write into."""

    virtual_root: Path
    file_dirs: tuple[Path, ...] = ()
    tcp_ports: frozenset[int] = field(default=DEFAULT_TCP_PORTS)

    def check(self, url: str) -> None:
        """Return if `url` is allowed; raise AddressRefused saying which rule it breaks."""
        parts = urlsplit(url)
        scheme = parts.scheme
        if scheme == "tcp":
            try:
                port = parts.port or 9100
            except ValueError as exc:
                raise AddressRefused(f"Cổng máy in không hợp lệ trong {url!r}.") from exc
            if not parts.hostname:
                raise AddressRefused("Máy in mạng phải có địa chỉ, ví dụ tcp://192.168.1.50:9100.")
            if port not in self.tcp_ports:
                raise AddressRefused(
                    f"Máy in mạng chỉ được dùng cổng {_ranges(self.tcp_ports)} "
                    f"(KIOSK_PRINTER_TCP_PORTS); cổng {port} không được phép."
                )
        elif scheme == "file":
            path = _resolved(parts.netloc + parts.path)
            device = any(fnmatch.fnmatchcase(str(path), pattern) for pattern in PRINTER_DEVICES)
            if not device and not any(_under(path, _resolved(str(d))) for d in self.file_dirs):
                raise AddressRefused(
                    "Máy in file:// chỉ được ghi vào thiết bị máy in (/dev/usb/lp*, /dev/ttyUSB*, "
                    "/dev/ttyACM*) hoặc thư mục trong KIOSK_PRINTER_FILE_DIRS; "
                    f"{path} không được phép."
                )
        elif scheme == "serial":
            path = _resolved(parts.netloc + parts.path)
            if not any(fnmatch.fnmatchcase(str(path), pattern) for pattern in SERIAL_DEVICES):
                raise AddressRefused(
                    "Máy in serial:// chỉ được là cổng nối tiếp (/dev/ttyUSB*, /dev/ttyACM*, "
                    f"/dev/ttyS*); {path} không được phép."
                )
        elif scheme == "virtual":
            path = _resolved(parts.netloc + parts.path or ".")
            root = _resolved(str(self.virtual_root))
            if not _under(path, root):
                raise AddressRefused(
                    f"Máy in ảo virtual:// chỉ được ghi trong thư mục {root}; "
                    f"{path} không được phép."
                )
        elif scheme == "cups":
            if not _CUPS_QUEUE.match(parts.netloc):
                raise AddressRefused(
                    "Tên hàng đợi CUPS chỉ gồm chữ cái không dấu, chữ số, '-', '_' và '.'."
                )
        elif scheme == "usb":
            if not _USB_ID.match(parts.netloc):
                raise AddressRefused("Máy in USB ghi dạng usb://VID:PID, ví dụ usb://04b8:0e15.")
        # Unknown schemes are refused by `open_transport` with the list of known ones.


def _ranges(ports: frozenset[int]) -> str:
    """9100-9109, 9200: the allowed ports, as a person would write them."""
    out: list[str] = []
    run: list[int] = []
    for port in sorted(ports):
        if run and port != run[-1] + 1:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
            run = []
        run.append(port)
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(out)
