"""Idempotency keys belong to their caller (issue 17 hole 5): a BIDV agent's key, sent by the
Agribank agent, anonymously or from a kiosk, is another key there and answers nothing of
BIDV's dossier; the same caller's same key with another request is refused with 409."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.models import Dossier, Ticket
from tests.builders import (
    APPLICANT,
    DOCS,
    FIELDS,
    LLTP,
    csrf,
    form_data,
    kupload,
    sample_image,
    sample_pdf,
    sign_in,
    upload_as,
    valid,
)

KEY = "bidv-counter-7-0001"


def filing(api: FlaskClient, headers: dict[str, str], consent: bool, **over: Any) -> Any:
    ids = [upload_as(api, headers), upload_as(api, headers)]
    body: dict[str, Any] = {
        "procedure": LLTP, "applicant": APPLICANT, "fields": FIELDS, "idempotency_key": KEY,
        "documents": [{"name": n, "upload_id": i} for n, i in zip(DOCS, ids, strict=True)],
        **over,
    }  # fmt: skip
    if consent:
        body["consent_upload_id"] = upload_as(api, headers)
    return body


def count(db_session: Session, model: Any) -> int:
    db_session.expire_all()
    return int(db_session.scalar(select(func.count()).select_from(model)) or 0)


def test_another_callers_same_key_is_another_key(
    floor: Flask, client: FlaskClient, branches: dict[str, dict[str, str]], session: Session
) -> None:
    bidv, agr = branches["dl-bidv"], branches["dl-agr"]
    body = filing(client, bidv, consent=True)
    first = client.post("/api/v1/dossiers", json=body, headers=bidv)
    assert first.status_code == 201, first.get_json()
    code = first.get_json()["code"]
    # The same caller retrying: the same dossier.
    again = client.post("/api/v1/dossiers", json=body, headers=bidv)
    assert again.status_code == 200 and again.get_json()["code"] == code
    # Agribank's agent and an anonymous client with BIDV's key: each files their own.
    agr_body = filing(client, agr, consent=True)
    theirs = client.post("/api/v1/dossiers", json=agr_body, headers=agr)
    anonymous = client.post("/api/v1/dossiers", json=filing(client, {}, consent=False))
    assert theirs.status_code == anonymous.status_code == 201
    codes = {code, theirs.get_json()["code"], anonymous.get_json()["code"]}
    assert len(codes) == 3 and count(session, Dossier) == 3
    # Each of them retrying gets their own back.
    retried = client.post("/api/v1/dossiers", json=agr_body, headers=agr)
    assert retried.status_code == 200 and retried.get_json()["code"] == theirs.get_json()["code"]


def test_the_same_key_with_another_request_is_refused_with_409(
    floor: Flask, client: FlaskClient, branches: dict[str, dict[str, str]], session: Session
) -> None:
    bidv = branches["dl-bidv"]
    body = filing(client, bidv, consent=True)
    assert client.post("/api/v1/dossiers", json=body, headers=bidv).status_code == 201
    other = {**body, "applicant": {**APPLICANT, "phone": "0912345678"}}
    r = client.post("/api/v1/dossiers", json=other, headers=bidv)
    assert r.status_code == 409, r.get_json()
    valid(r.get_json(), "/dossiers", "post", 409)
    assert r.get_json()["error"]["code"] == "idempotency_conflict"
    assert "khóa" in r.get_json()["error"]["message"].lower()
    assert count(session, Dossier) == 1


def test_a_kiosk_never_gets_another_callers_dossier_for_its_key(
    floor: Flask, demo_app: Flask, client: FlaskClient, branches: dict[str, dict[str, str]]
) -> None:
    bidv = branches["dl-bidv"]
    filed = client.post("/api/v1/dossiers", json=filing(client, bidv, consent=True), headers=bidv)
    assert filed.status_code == 201
    kiosk = demo_app.test_client()
    token = csrf(kiosk, f"/kiosk/file/{LLTP}")
    ids = [kupload(kiosk, sample_pdf(), token).get_json()["id"],
           kupload(kiosk, sample_image(), token).get_json()["id"]]  # fmt: skip
    form = form_data(token, ids, idempotency_key=KEY, **{"a.full_name": "Trần Văn Bình",
                                                          "a.cccd": "064090001122",
                                                          "a.birth_date": "1990-01-01",
                                                          "a.gender": "Nam"})  # fmt: skip
    r = kiosk.post(f"/kiosk/file/{LLTP}", data={**form, "step": "submit"})
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    done = kiosk.get(r.headers["Location"]).get_data(as_text=True)
    assert filed.get_json()["code"] not in r.headers["Location"]
    assert "Trần Văn Bình" in done and APPLICANT["full_name"] not in done


def test_ticket_keys_are_their_callers_too(
    floor: Flask, client: FlaskClient, branches: dict[str, dict[str, str]], session: Session
) -> None:
    mine = client.post("/api/v1/tickets", json={"service": "HOTICH", "idempotency_key": KEY})
    assert mine.status_code == 201
    theirs = client.post("/api/v1/tickets", json={"service": "HOTICH", "idempotency_key": KEY},
                      headers=branches["xuly"])  # fmt: skip
    assert theirs.status_code == 201 and theirs.get_json()["token"] != mine.get_json()["token"]
    again = client.post("/api/v1/tickets", json={"service": "HOTICH", "idempotency_key": KEY})
    assert again.status_code == 200 and again.get_json()["token"] == mine.get_json()["token"]
    other = client.post("/api/v1/tickets", json={"service": "CUTRU", "idempotency_key": KEY})
    assert other.status_code == 409 and other.get_json()["error"]["code"] == (
        "idempotency_conflict")  # fmt: skip
    valid(other.get_json(), "/tickets", "post", 409)
    assert count(session, Ticket) == 2


def test_a_form_filed_again_with_other_values_is_refused_with_its_reason(
    floor: Flask, demo_app: Flask, session: Session
) -> None:
    kiosk = demo_app.test_client()
    token = csrf(kiosk, f"/kiosk/file/{LLTP}")
    ids = [kupload(kiosk, sample_pdf(), token).get_json()["id"],
           kupload(kiosk, sample_image(), token).get_json()["id"]]  # fmt: skip
    form = {**form_data(token, ids, idempotency_key=KEY), "step": "submit"}
    assert kiosk.post(f"/kiosk/file/{LLTP}", data=form).status_code == 303
    # Back, the phone changed, submitted again with the same screen's key.
    r = kiosk.post(f"/kiosk/file/{LLTP}", data={**form, "a.phone": "0912345678"})
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and "đã được nộp" in page and "0912345678" in page
    assert KEY not in page  # a new key: submitting again files anew, on purpose
    assert count(session, Dossier) == 1


def test_the_portal_answers_a_retry_with_its_dossier_and_other_values_with_409(
    floor: Flask, branches: dict[str, Any], session: Session
) -> None:
    from tests.builders import agent_upload

    agent = floor.test_client()
    sign_in(agent, "dl-bidv", "mat-khau-dai-9")
    token = csrf(agent, f"/agent/file/{LLTP}")
    ids = [agent_upload(agent, token, sample_pdf()), agent_upload(agent, token, sample_image())]
    form = {**form_data(token, ids, idempotency_key=KEY),
            "consent": agent_upload(agent, token, sample_pdf())}  # fmt: skip
    done = agent.post(f"/agent/file/{LLTP}", data=form)
    assert done.status_code == 303
    # A double tap: the same dossier, even though its authorization is now filed with it.
    again = agent.post(f"/agent/file/{LLTP}", data=form)
    assert again.status_code == 303 and again.headers["Location"] == done.headers["Location"]
    other = agent.post(f"/agent/file/{LLTP}", data={**form, "a.phone": "0912345678"})
    assert other.status_code == 409 and "đã được nộp" in other.get_data(as_text=True)
    assert count(session, Dossier) == 1
