"""Printing (*in phiếu*) as the domain sees it: which printer a place uses, what goes on the
paper, and the spooler that carries it there.

- `jobs`: the printer of a place (`printer_for`: a kiosk station's, a counter's, a branch's,
  else the site's), whether an address may be a printer (`check_printer`), a ticket's print-out,
  and the print job written in its record's transaction with a print-out's data
  (`printout_job`, the kinds in `printers.printouts`) and drawn (`render`) on delivery;
- `delivery`: the spooler's work, delivering the jobs, each claimed with a lease, retried with
  backoff, never lost (the process that runs it is `kiosk/spooler.py`, the drawing is
  `printers/`).

Callers use `kiosk.domain.printing`, and `printing.delivery` by name.
"""

from __future__ import annotations

from .jobs import (
    TROUBLE,
    Printer,
    TicketPrint,
    check_printer,
    find_station,
    in_trouble,
    new_job,
    printer_for,
    printout_job,
    render,
    station_printer,
    ticket_job,
)

__all__ = [
    "TROUBLE", "Printer", "TicketPrint", "check_printer", "find_station", "in_trouble", "new_job",
    "printer_for", "printout_job", "render", "station_printer", "ticket_job",
]  # fmt: skip
