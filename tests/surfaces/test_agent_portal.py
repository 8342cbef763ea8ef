"""Filing for a citizen on the agent portal: the authorization form printed with the citizen's
data (A4 PDF, its QR code the reference), signed and uploaded back; no dossier without it."""

from __future__ import annotations

import re
from typing import Any

import pypdfium2
import zxingcpp
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.models import AuditEntry, Dossier, Upload
from tests.builders import agent_upload, csrf, form_data, sample_image, sample_pdf, sign_in

LLTP = "3.000333"


def test_an_agent_files_for_a_citizen_with_the_signed_authorization(
    floor: Flask,
    branches: dict[str, Any],
    session: Session,
) -> None:
    agent = floor.test_client()
    assert agent.get(f"/agent/file/{LLTP}").status_code == 302  # sign in first
    sign_in(agent, "dl-bidv", "mat-khau-dai-9")
    page = agent.get(f"/agent/file/{LLTP}").get_data(as_text=True)
    assert "Giấy ủy quyền của công dân" in page
    # The kiosk's date piece: dd/mm/yyyy typed on a numeric keypad, whatever the browser.
    assert 'type="date"' not in page
    assert re.search(r'name="a.birth_date" value="" inputmode="numeric"', page)
    token = csrf(agent, f"/agent/file/{LLTP}")
    values = form_data(token, ["", ""])
    pdf = agent.post(f"/agent/file/{LLTP}/authorization", data=values)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    doc = pypdfium2.PdfDocument(pdf.data)
    try:
        image = doc[0].render(scale=150 / 72).to_pil()
    finally:
        doc.close()
    reference = [r.text for r in zxingcpp.read_barcodes(image)]
    assert len(reference) == 1 and reference[0].startswith("UQ-")
    printed = session.scalar(select(AuditEntry).where(AuditEntry.action == "consent.print"))
    assert printed is not None and reference[0] in printed.detail
    ids = [agent_upload(agent, token, sample_pdf()), agent_upload(agent, token, sample_image())]
    filled = form_data(token, ids, idempotency_key="agent-1")
    refused = agent.post(f"/agent/file/{LLTP}", data=filled)
    assert refused.status_code == 422 and "giấy ủy quyền" in refused.get_data(as_text=True)
    # Another agent's upload is not this citizen's authorization.
    other = floor.test_client()
    sign_in(other, "dl-agr", "mat-khau-dai-9")
    foreign = agent_upload(other, csrf(other, "/agent/dossiers"), sample_pdf())
    assert agent.post(f"/agent/file/{LLTP}", data={**filled, "consent": foreign}).status_code \
        == 422  # fmt: skip
    consent = agent_upload(agent, token, sample_pdf())
    done = agent.post(f"/agent/file/{LLTP}", data={**filled, "consent": consent})
    assert done.status_code == 303, done.get_data(as_text=True)[-3000:]
    d = session.scalar(select(Dossier))
    assert d is not None and d.branch_code == "BIDV-GL" and d.agent_id is not None
    kept = session.get(Upload, consent)
    assert kept is not None and kept.dossier_id == d.id and kept.document_name == "giay_uy_quyen"
    assert d.code in agent.get("/agent/dossiers").get_data(as_text=True)
