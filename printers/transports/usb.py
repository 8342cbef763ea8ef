"""`usb://VID:PID` (hexadecimal, e.g. usb://04b8:0e15): USB printers through python-escpos's
`Usb` printer, which needs pyusb and libusb."""

from __future__ import annotations

from .base import PrinterUnavailable, Status, Transport


class UsbTransport(Transport):
    scheme = "usb"

    @classmethod
    def is_usable(cls) -> bool:
        from escpos.printer import Usb

        return bool(Usb.is_usable())

    def _ids(self) -> tuple[int, int]:
        vid, _, pid = self.url.netloc.partition(":")
        return int(vid, 16), int(pid, 16)

    def send(self, data: bytes) -> None:
        from escpos.printer import Usb

        if not self.is_usable():
            raise PrinterUnavailable("pyusb is not installed: pip install 'python-escpos[usb]'")
        vid, pid = self._ids()
        try:
            printer = Usb(vid, pid)
            printer.open(raise_not_found=True)
            printer._raw(data)
            printer.close()
        except Exception as exc:  # pyusb raises its own USBError, not an OSError
            raise PrinterUnavailable(f"usb {vid:04x}:{pid:04x}: {exc}") from exc

    def status(self) -> Status:
        from escpos.printer import Usb

        if not self.is_usable():
            return Status.UNKNOWN
        vid, pid = self._ids()
        try:
            printer = Usb(vid, pid)
            printer.open(raise_not_found=True)
        except Exception:
            return Status.OFFLINE
        try:
            if not printer.is_online():
                return Status.OFFLINE
            return Status.PAPER_OUT if printer.paper_status() == 0 else Status.ONLINE
        except Exception:
            return Status.UNKNOWN
        finally:
            printer.close()
