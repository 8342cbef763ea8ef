"""The print-outs' registry (printers/printouts.py): each kind's data as a job keeps it, drawn
by its layout byte for byte as drawn directly, and the web side never loading the drawing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys

import pytest

from kiosk.domain import printing
from printers import printouts
from printers.encode import to_escpos
from printers.samples import sample_data, sample_job

NOW = dt.datetime(2026, 11, 22, 9, 41)
SITE = "Trung tâm Phục vụ hành chính công tỉnh Gia Lai"


@pytest.mark.parametrize("profile", ["TM-T20II", "POS-5890"])
@pytest.mark.parametrize("kind", list(printouts.PRINTOUTS))
def test_a_job_of_each_kind_prints_what_its_layout_draws(kind: str, profile: str) -> None:
    """Written as a job (its data as JSON, as the web workers write it) and drawn by the
    spooler (`render`): the same bytes as the layout drawing the data directly."""
    data = sample_data(kind, SITE, NOW)
    job = printing.printout_job(printing.Printer("virtual://x", profile), "Thử", data)
    stored = json.loads(job.layout)
    assert job.kind == kind == stored["layout"] and job.payload == b""
    assert printouts.from_json(kind, stored["data"]) == data
    width = 384 if profile == "POS-5890" else 576
    assert printing.render(job) == to_escpos(sample_job(kind, width, SITE, NOW), profile)


def test_every_kind_has_its_layout_and_a_kind_is_one_entry() -> None:
    from printers import layouts

    for kind, printout in printouts.PRINTOUTS.items():
        assert dataclasses.is_dataclass(printout.data)
        assert callable(getattr(layouts, printout.layout))
        assert printouts.kind_of(sample_data(kind, SITE, NOW)) == kind


def test_a_job_that_cannot_be_drawn_says_why() -> None:
    """Unknown kinds and data that does not fit raise ValueError (the spooler records it on the
    job and keeps it)."""
    printer = printing.Printer("virtual://x", "TM-T20II")
    job = printing.printout_job(printer, "Thử", sample_data("ticket", SITE, NOW))
    for layout, message in (
        ({"layout": "poster", "data": {}}, "unknown layout 'poster'"),
        ({"layout": "ticket", "data": {"site_name": "x"}}, "ticket data unusable"),
        ({"layout": "receipt", "data": None}, "receipt data unusable"),
    ):
        job.layout = json.dumps(layout)
        with pytest.raises(ValueError, match=message):
            printing.render(job)


def test_the_web_side_writes_jobs_without_loading_the_drawing_code() -> None:
    """Every builder's module and a ticket's job, in a fresh interpreter: no layouts, no page,
    no python-escpos (the spooler alone loads them, to draw)."""
    code = """
import sys, datetime as dt
from kiosk.domain import dossiers, money, printing, queue
from printers import printouts
for kind, p in printouts.PRINTOUTS.items():
    assert p.data.__module__ == "printers.printouts"
data = printouts.TicketData("S", "Hộ tịch", "A001", 0, dt.datetime(2026, 1, 1, 9), "u")
job = printing.printout_job(printing.Printer("virtual://x", "TM-T20II"), "Số A001", data)
assert job.kind == "ticket" and "A001" in job.layout
loaded = sorted(m for m in sys.modules
                if m in ("printers.layouts", "printers.page", "printers.encode")
                or m.split(".")[0] == "escpos")
print(loaded)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)  # fmt: skip
    assert out.stdout.strip() == "[]", out.stderr
