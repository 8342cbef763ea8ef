"""Printing for the one-stop center: Vietnamese layouts drawn as raster, sent as ESC/POS.

Self-contained: it takes plain data and returns or sends bytes, and imports nothing from
`kiosk`. Thermal printers' code pages do not carry Vietnamese reliably, so every line is drawn
with a font that covers Vietnamese (DejaVu Sans) into an image at the printer's width (384 dots
for 58 mm, 576 for 80 mm) and sent with `GS v 0`; QR codes go natively with `GS ( k` where the
printer's profile supports it.

    from printers import layouts, encode
    job = layouts.ticket(layouts.TicketData(...), width=576)
    data = encode.to_escpos(job, profile="TM-T20II")
    job.preview().save("ticket.png")

The names below are loaded on first use: a process that only checks printer addresses
(`printers.transports`) does not pay for Pillow, qrcode and python-escpos.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .encode import to_escpos
    from .page import Job
    from .printouts import ApologyData, FeeData, ReceiptData, TicketData

_LAZY = {
    "to_escpos": "encode",
    "ApologyData": "printouts",
    "FeeData": "printouts",
    "Job": "page",
    "ReceiptData": "printouts",
    "TicketData": "printouts",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'printers' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = ["ApologyData", "FeeData", "Job", "ReceiptData", "TicketData", "to_escpos"]
