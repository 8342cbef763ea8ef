"""Isolation between bank branches through the API (issue 11, §6): an agent files only with the
citizen's signed authorization, and never sees or acts on another branch's dossiers, whatever
code is typed: such a request answers 404, exactly as for a code that does not exist."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.models import AuditEntry, Dossier, Upload
from tests.builders import csrf, fee_paid, file_as, sign_in, upload_as


def test_an_agent_files_only_with_the_citizens_signed_authorization(
    floor: Flask, client: FlaskClient, branches: dict[str, dict[str, str]], session: Session
) -> None:
    bidv = branches["dl-bidv"]
    refused = file_as(client, bidv, None)
    assert refused.status_code == 400 and "consent_upload_id" in refused.get_json()["error"][
        "fields"]  # fmt: skip
    # Another agent's upload is not this agent's consent.
    theirs = upload_as(client, branches["dl-agr"])
    assert file_as(client, bidv, theirs).status_code == 400
    r = file_as(client, bidv, upload_as(client, bidv))
    assert r.status_code == 201, r.get_json()
    d = session.scalar(select(Dossier).where(Dossier.code == r.get_json()["code"]))
    assert d is not None and d.branch_code == "BIDV-GL" and d.agent_id is not None
    consent = session.scalar(select(Upload).where(Upload.document_name == "giay_uy_quyen"))
    assert consent is not None and consent.dossier_id == d.id
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.file"))
    assert entry is not None and entry.branch_code == "BIDV-GL" and entry.dossier_code == d.code


def test_another_branch_gets_404_exactly_as_for_a_code_that_does_not_exist(
    floor: Flask, client: FlaskClient, branches: dict[str, dict[str, str]]
) -> None:
    bidv, agr, center = branches["dl-bidv"], branches["dl-agr"], branches["xuly"]
    code = file_as(client, bidv, upload_as(client, bidv)).get_json()["code"]
    missing = "000.00.01.H29-200101-9999"
    # Reading one.
    mine = client.get(f"/api/v1/dossiers/{code}", headers=bidv)
    assert mine.status_code == 200 and mine.get_json()["code"] == code
    other = client.get(f"/api/v1/dossiers/{code}", headers=agr)
    nothing = client.get(f"/api/v1/dossiers/{missing}", headers=agr)
    assert other.status_code == nothing.status_code == 404
    assert other.get_json() == nothing.get_json()
    # Listing.
    assert [i["code"] for i in client.get("/api/v1/dossiers", headers=bidv).get_json()["items"]] \
        == [code]  # fmt: skip
    assert client.get("/api/v1/dossiers", headers=agr).get_json()["items"] == []
    assert code in [i["code"] for i in client.get("/api/v1/dossiers", headers=center).get_json()[
        "items"]]  # fmt: skip
    # Acting on one.
    move = client.post(f"/api/v1/dossiers/{code}/transitions", json={"to": "accepted"}, headers=agr)
    move_missing = client.post(f"/api/v1/dossiers/{missing}/transitions", json={"to": "accepted"},
                            headers=agr)  # fmt: skip
    assert move.status_code == move_missing.status_code == 404
    assert move.get_json() == move_missing.get_json()
    # Its own branch may read but not process.
    assert client.post(f"/api/v1/dossiers/{code}/transitions", json={"to": "accepted"},
                    headers=bidv).status_code == 403  # fmt: skip
    # The center's staff see it.
    assert client.get(f"/api/v1/dossiers/{code}", headers=center).status_code == 200


def test_the_branch_worklist_shows_its_own_results_ready_first(
    client: FlaskClient, floor: Flask, branches: dict[str, dict[str, str]]
) -> None:

    bidv, agr, center = branches["dl-bidv"], branches["dl-agr"], branches["xuly"]
    first = file_as(client, bidv, upload_as(client, bidv)).get_json()["code"]
    second = file_as(client, bidv, upload_as(client, bidv)).get_json()["code"]
    theirs = file_as(client, agr, upload_as(client, agr)).get_json()["code"]
    url = f"/api/v1/dossiers/{second}/transitions"
    for to in ("accepted", "processing"):
        client.post(url, json={"to": to}, headers=center)
    result = upload_as(client, center)
    client.post(url, json={"to": "resolved", "result_upload_id": result}, headers=center)
    browser = floor.test_client()
    assert browser.get("/agent/dossiers").status_code == 302  # sign in first
    sign_in(browser, "dl-bidv", "mat-khau-dai-9")
    page = browser.get("/agent/dossiers").get_data(as_text=True)
    assert page.index(second) < page.index(first) and "Kết quả sẵn sàng trả" in page
    assert theirs not in page
    # The office is not theirs.
    assert browser.get("/office/dossiers").status_code == 403


def test_the_branch_hands_the_result_back_and_records_who_and_which_id(
    client: FlaskClient, floor: Flask, branches: dict[str, dict[str, str]], session: Session
) -> None:

    bidv, center = branches["dl-bidv"], branches["xuly"]
    code = file_as(client, bidv, upload_as(client, bidv)).get_json()["code"]
    url = f"/api/v1/dossiers/{code}/transitions"
    for to in ("accepted", "processing"):
        client.post(url, json={"to": to}, headers=center)
    client.post(url, json={"to": "resolved", "result_upload_id": upload_as(client, center)},
             headers=center)  # fmt: skip
    other = floor.test_client()
    sign_in(other, "dl-agr", "mat-khau-dai-9")
    token = csrf(other, "/agent/dossiers")
    form = {"csrf_token": token, "receiver": "Nguyễn Thị Hồng Nhung", "id_checked": "064185001234"}
    assert other.post(f"/agent/dossiers/{code}/hand-back", data=form).status_code == 404
    mine = floor.test_client()
    sign_in(mine, "dl-bidv", "mat-khau-dai-9")
    token = csrf(mine, "/agent/dossiers")
    fee_paid(session, code, "dl-bidv")
    bad = mine.post(f"/agent/dossiers/{code}/hand-back",
                    data={**form, "csrf_token": token, "id_checked": "12"})  # fmt: skip
    assert bad.status_code == 422
    assert "Số CCCD đã kiểm tra của người nhận chưa đúng" in bad.get_data(as_text=True)
    mine.post(f"/agent/dossiers/{code}/hand-back", data={**form, "csrf_token": token})
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    session.refresh(d)
    assert d is not None and d.status == "returned" and d.returned_at is not None
    assert "064185001234" in d.events[-1].reason
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.hand_back"))
    assert entry is not None and entry.branch_code == "BIDV-GL" and "Nguyễn Thị Hồng Nhung" in (
        entry.detail)  # fmt: skip
