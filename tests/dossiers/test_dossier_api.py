"""The dossier API against its OpenAPI document: uploads, filing (idempotent), the citizen's
verified view (the same answer for a wrong code and a wrong fact, rate-limited), the staff's
list with cursors, transitions, ratings, and malformed requests that must never give a 500."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import EnvironBuilder

from kiosk.domain.accounts import create_user
from kiosk.domain.dossiers import workdays
from kiosk.models import Dossier, Upload
from tests.builders import (
    APPLICANT,
    DOCS,
    FIELDS,
    file_lltp,
    sample_pdf,
    token_for,
    upload,
    valid,
)


@pytest.fixture
def processor(floor: Flask, session: Session) -> str:
    workdays.seed_calendar(session, [2026, 2027])
    create_user(session, "xuly", "mat-khau-dai-4", "processor", "Lê Thị Hà")
    return token_for(floor, "xuly")


def test_upload_contract(floor: Flask, client: FlaskClient) -> None:
    r = upload(client, sample_pdf(pages=2))
    assert r.status_code == 201
    body = r.get_json()
    valid(body, "/uploads", "post", 201)
    assert body["pages"] == 2 and body["media_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"MZ\x90\x00" + b"\x00" * 4000, 415),  # an executable renamed .pdf
        (b"%PDF-1.4\n%%EOF garbage", 422),
        (b"", 400),
    ],
)
def test_uploads_that_are_not_what_they_claim(
    floor: Flask, client: FlaskClient, data: bytes, status: int
) -> None:
    r = upload(client, data, name="ho-so.pdf")
    assert r.status_code == status
    valid(r.get_json(), "/uploads", "post", status)


def test_an_oversize_upload_is_refused_before_it_is_kept(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    floor.config["UPLOAD_MAX_MB"] = 0.5
    # The test client spools a large body to a temporary file: close it ourselves, since the
    # app refuses the body unread.
    builder = EnvironBuilder(
        path="/api/v1/uploads", method="POST",
        data={"file": (io.BytesIO(sample_pdf(1.5)), "big.pdf")},
    )  # fmt: skip
    environ = builder.get_environ()
    try:
        r = client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert r.status_code == 413
    assert "0,5 MB" in r.get_json()["error"]["message"]
    r = client.post("/api/v1/uploads", data={"other": "x"}, content_type="multipart/form-data")
    assert r.status_code == 400
    assert session.scalar(select(func.count()).select_from(Upload)) == 0
    folder = floor.instance_path + "/uploads"
    import os

    assert not os.path.exists(folder) or os.listdir(folder) == []


def test_filing_online_and_again_with_the_same_key(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    r = file_lltp(client, key="kiosk-1-abc")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    valid(body, "/dossiers", "post", 201)
    assert body["status"] == "registered" and body["fee"] == 200000
    assert body["due_at"].endswith("+07:00") and body["status_url"].endswith(body["code"])
    again = file_lltp(client, key="kiosk-1-abc")
    assert again.status_code == 200 and again.get_json()["code"] == body["code"]
    assert session.scalar(select(func.count()).select_from(Dossier)) == 1
    files = session.scalars(select(Upload).where(Upload.dossier_id.is_not(None))).all()
    assert sorted(u.document_name for u in files) == sorted(DOCS)


def test_the_applicants_phone_follows_the_forms_phone_rule(
    client: FlaskClient, session: Session, floor: Flask
) -> None:
    """One phone rule (`text.phone_number`): a number with dots, which every e-form's phone
    field accepts, was refused as the applicant's phone."""
    typed = {**APPLICANT, "phone": "090.512 3456"}
    r = file_lltp(client, applicant=typed)
    assert r.status_code == 201, r.get_json()
    kept = session.scalar(select(Dossier.applicant_phone))
    assert kept == "0905123456"
    bad = file_lltp(client, applicant={**APPLICANT, "phone": "090-512-345"})
    assert bad.status_code == 422 and "phone" in bad.get_json()["error"]["fields"]


def test_a_form_with_fields_missing_or_wrong_is_refused_field_by_field(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    fields = {**FIELDS, "loai_phieu": "Phiếu số 9", "muc_dich": "x" * 600}
    del fields["noi_sinh"]
    r = file_lltp(client, fields=fields, documents=[])
    assert r.status_code == 422
    body = r.get_json()
    valid(body, "/dossiers", "post", 422)
    errors = body["error"]["fields"]
    assert errors["fields.noi_sinh"] == "Nhập nơi sinh."
    assert errors["fields.loai_phieu"].startswith("Loại phiếu yêu cầu: chọn một")
    assert errors["fields.muc_dich"] == "Mục đích sử dụng phiếu: dài quá 500 ký tự."
    assert errors[f"documents.{DOCS[0]}"] == "Thiếu giấy tờ bắt buộc này."
    assert session.scalar(select(func.count()).select_from(Dossier)) == 0


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        '{"procedure": 12}',
        '{"procedure": "' + "9" * 5000 + '"}',
        '{"procedure": "3.000333", "applicant": "Nhung"}',
        '{"procedure": "3.000333", "applicant": {"full_name": ["x"], "cccd": 64185001234}}',
        '{"procedure": "3.000333", "applicant": {"full_name": "A", "cccd": "064185001234"},'
        ' "fields": [1, 2]}',
        '{"procedure": "3.000333", "applicant": {"full_name": "A", "cccd": "064185001234"},'
        ' "documents": "all"}',
        '{"procedure": "3.000333", "applicant": {"full_name": "A", "cccd": "064185001234",'
        ' "birth_date": "1985-13-45"}}',
        '{"procedure": "3.000333", "applicant": {"full_name": "A", "cccd": "064185001234"},'
        ' "idempotency_key": {"a": 1}}',
        '{"procedure": "3.000333", "applicant": {"full_name": "<script>alert(1)</script>",'
        ' "cccd": "1\' OR 1=1 --"}, "fields": {"<img src=x onerror=alert(1)>": 1}}',
        '{"procedure": "1\' OR \'1\'=\'1", "applicant": {}}',
    ],
)
def test_malformed_filings_get_a_4xx_and_reflect_no_markup(
    floor: Flask, client: FlaskClient, body: str
) -> None:
    r = client.post("/api/v1/dossiers", data=body, content_type="application/json")
    assert 400 <= r.status_code < 500, r.get_data(as_text=True)
    raw = r.get_data(as_text=True)
    assert "<script" not in raw and "<img" not in raw
    valid(r.get_json(), "/dossiers", "post", r.status_code)


def test_the_citizen_reads_with_a_second_fact_and_guesses_read_the_same(
    floor: Flask, client: FlaskClient
) -> None:
    code = file_lltp(client).get_json()["code"]
    r = client.get(f"/api/v1/dossiers/{code}?verify=1234")
    assert r.status_code == 200
    body = r.get_json()
    valid(body, "/dossiers/{code}", "get", 200)
    assert body["status_label"] == "Mới đăng ký" and "applicant" not in body
    assert client.get(f"/api/v1/dossiers/{code}?verify=3456").status_code == 200  # the phone
    wrong_fact = client.get(f"/api/v1/dossiers/{code}?verify=9999")
    wrong_code = client.get("/api/v1/dossiers/000.00.01.H29-261116-9999?verify=1234")
    injected = client.get("/api/v1/dossiers/1'%20OR%20'1'='1?verify=1234")
    assert wrong_fact.status_code == wrong_code.status_code == injected.status_code == 404
    assert wrong_fact.get_json() == wrong_code.get_json() == injected.get_json()
    valid(wrong_fact.get_json(), "/dossiers/{code}", "get", 404)
    # Without verify the citizen gets nothing; past the limit, nothing either.
    assert client.get(f"/api/v1/dossiers/{code}").status_code == 401
    floor.config["STATUS_LOOKUPS_PER_MINUTE"] = 6
    statuses = [client.get(f"/api/v1/dossiers/{code}?verify=1234").status_code for _ in range(3)]
    assert statuses[-1] == 429
    valid(
        client.get(f"/api/v1/dossiers/{code}?verify=1234").get_json(),
        "/dossiers/{code}",
        "get",
        429,
    )


def test_staff_list_with_cursors(
    floor: Flask, client: FlaskClient, processor: str, session: Session
) -> None:
    codes = [file_lltp(client).get_json()["code"] for _ in range(5)]
    anon = client.get("/api/v1/dossiers")
    assert anon.status_code == 401
    headers = {"Authorization": f"Bearer {processor}"}
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        r = client.get(f"/api/v1/dossiers?limit=2&cursor={cursor}", headers=headers)
        assert r.status_code == 200
        body = r.get_json()
        valid(body, "/dossiers", "get", 200)
        seen += [i["code"] for i in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert seen == codes and pages == 3
    item = body["items"][0]
    assert item["channel"] == "online" and item["resolved_at"] is None
    assert item["received_at"].endswith("+07:00")
    for bad in ("limit=0", "limit=1001", "cursor=%27--", "from=2026-13-01", "status=lost"):
        r = client.get(f"/api/v1/dossiers?{bad}", headers=headers)
        assert r.status_code == 400, bad
        valid(r.get_json(), "/dossiers", "get", 400)
    r = client.get("/api/v1/dossiers?from=2000-01-01&to=2000-01-31", headers=headers)
    assert r.get_json() == {"items": [], "next_cursor": None}
    # Staff read the whole dossier, its applicant and papers included.
    full = client.get(f"/api/v1/dossiers/{codes[0]}", headers=headers).get_json()
    valid(full, "/dossiers/{code}", "get", 200)
    assert full["applicant"]["cccd"] == "064185001234" and len(full["documents"]) == 2


def test_transitions_to_resolved_with_the_result_and_a_rating(
    floor: Flask, client: FlaskClient, processor: str
) -> None:
    code = file_lltp(client).get_json()["code"]
    headers = {"Authorization": f"Bearer {processor}"}
    url = f"/api/v1/dossiers/{code}/transitions"
    assert client.post(url, json={"to": "accepted"}).status_code == 401
    officer = {"Authorization": f"Bearer {token_for(floor, 'canbo')}"}
    # A counter officer makes the reception's decision only; processing is not theirs.
    r = client.post(url, json={"to": "processing"}, headers=officer)
    assert r.status_code == 403
    r = client.post(url, json={"to": "processing"}, headers=headers)
    assert r.status_code == 409 and "không thể chuyển" in r.get_json()["error"]["message"]
    valid(r.get_json(), "/dossiers/{code}/transitions", "post", 409)
    r = client.post(url, json={"to": "returned"}, headers=headers)  # the hand-back's own rule
    assert r.status_code == 403 and "quyền" in r.get_json()["error"]["message"]
    valid(r.get_json(), "/dossiers/{code}/transitions", "post", 409)
    for to in ("accepted", "processing"):
        r = client.post(url, json={"to": to}, headers=headers)
        assert r.status_code == 200, r.get_json()
    result = upload(client, sample_pdf(), headers=headers).get_json()["id"]
    r = client.post(url, json={"to": "resolved", "result_upload_id": result}, headers=headers)
    assert r.status_code == 200
    body = r.get_json()
    valid(body, "/dossiers/{code}/transitions", "post", 200)
    assert body["status"] == "resolved" and body["progress"] == "early"
    assert "ket_qua" in [d["name"] for d in body["documents"]]
    # The service index reads from the dossier that its papers and its result are digitized.
    s = floor.extensions["kiosk.sessionmaker"]()
    from kiosk.models import Dossier

    kept = s.scalar(select(Dossier).where(Dossier.code == code))
    assert kept is not None and kept.papers_digitized and kept.result_digitized
    assert kept.closed_at == kept.resolved_at is not None
    s.close()
    # The citizen rates it.
    rate = f"/api/v1/dossiers/{code}/rating"
    r = client.post(rate, json={"verify": "1234", "score": 5, "reasons": ["thoi_gian", "thai_do"]})
    assert r.status_code == 201
    valid(r.get_json(), "/dossiers/{code}/rating", "post", 201)
    for bad in ({"verify": "1234", "score": 9}, {"verify": "1234", "score": 4, "reasons": ["x"]}):
        assert client.post(rate, json=bad).status_code == 400
    assert client.post(rate, json={"verify": "0000", "score": 5}).status_code == 404
