"""At the province's hub, on both engines: a dossier another site owns is read-only. Every
change asked through the API answers 409 `read_only_elsewhere` in Vietnamese (a move, the
hand-back, a rating, opening its fee's VietQR), every office, citizen and kiosk page says so and
offers no button, nothing changes and the hub's outbox tells nothing of it; the hub's own
dossier is still worked as ever."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain import dossiers
from kiosk.domain.dossiers import DossierState
from kiosk.models import Dossier, OutboxEvent, Payment, Rating, User
from tests.builders import (
    CCCD,
    MONDAY_9,
    csrf,
    deliver,
    receive,
    sign_in,
    site_db,
    token_for,
    valid,
)  # fmt: skip

CODE = "000.00.41.H29"
READ_ONLY = "tại tỉnh chỉ xem được"


@pytest.fixture
def remote(floor: Flask, session: Session, sqlite_demo: Path, tmp_path: Path) -> str:
    """A dossier of site 000.00.41.H29, resolved and owing its fee, as the hub holds it."""
    s = site_db(sqlite_demo, tmp_path / "site.db")
    staff = {u.username: u for u in s.scalars(select(User))}
    d = receive(s, {"officer": staff["canbo"]}, site_code=CODE).dossier
    dossiers.move(s, d, DossierState.RESOLVED, staff["xuly"], now=MONDAY_9 + dt.timedelta(1))
    assert d.fee_vnd > 0
    deliver(session, s, CODE.replace(".", "-"))
    code = d.code
    s.get_bind().dispose()  # type: ignore[union-attr]
    s.close()
    return code


def _unchanged(session: Session, code: str, before: int) -> None:
    session.expire_all()
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    assert d is not None and d.status == DossierState.RESOLVED and d.returned_at is None
    assert session.scalar(select(func.count()).select_from(Payment)) == 0
    assert session.scalar(select(func.count()).select_from(Rating)) == 0
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) == before


def test_the_api_refuses_every_change(
    floor: Flask, client: FlaskClient, session: Session, remote: str
) -> None:
    before = session.scalar(select(func.count()).select_from(OutboxEvent)) or 0
    manager = {"Authorization": f"Bearer {token_for(floor, 'quanly')}"}
    seen = client.get(f"/api/v1/dossiers/{remote}", headers=manager)
    assert seen.status_code == 200 and seen.json["site"] == CODE  # type: ignore[index]
    asks = [
        ("post", f"/api/v1/dossiers/{remote}/transitions", {"to": "returned", "receiver": {
            "name": "Nguyễn Thị Hồng Nhung", "id_kind": "cccd", "id_number": CCCD}},
         manager, "/dossiers/{code}/transitions"),
        ("post", f"/api/v1/dossiers/{remote}/transitions", {"to": "processing"}, manager,
         "/dossiers/{code}/transitions"),
        ("post", f"/api/v1/dossiers/{remote}/rating", {"verify": CCCD[-4:], "score": 5}, {},
         "/dossiers/{code}/rating"),
        ("get", f"/api/v1/dossiers/{remote}/payment?verify={CCCD[-4:]}", None, {},
         "/dossiers/{code}/payment"),
    ]  # fmt: skip
    for method, url, body, headers, template in asks:
        r = getattr(client, method)(url, json=body, headers=headers)
        assert r.status_code == 409, (url, r.json)
        valid(r.json, template, method, 409)
        assert r.json["error"]["code"] == "read_only_elsewhere"  # type: ignore[index]
        assert READ_ONLY in r.json["error"]["message"] and CODE in r.json["error"]["message"]  # type: ignore[index]
    _unchanged(session, remote, before)


def test_the_pages_show_it_offer_nothing_and_refuse_a_post(
    floor: Flask, client: FlaskClient, session: Session, remote: str
) -> None:
    before = session.scalar(select(func.count()).select_from(OutboxEvent)) or 0
    sign_in(client, "quanly", "mat-khau-dai-2")
    page = client.get(f"/office/dossiers/{remote}").get_data(as_text=True)
    assert 'data-testid="read-only"' in page and READ_ONLY in page
    for action in ("move", "hand-back", "apology", "cash"):
        assert f"/office/dossiers/{remote}/{action}" not in page, action
    token = csrf(client, f"/office/dossiers/{remote}")
    posts = [
        (f"/office/dossiers/{remote}/hand-back",
         {"receiver": "Nguyễn Thị Hồng Nhung", "id_checked": CCCD, "id_kind": "cccd"}),
        (f"/office/dossiers/{remote}/move", {"to": "processing"}),
        (f"/office/dossiers/{remote}/apology", {"new_date": "30/12/2026", "reason": "Chậm"}),
        (f"/office/dossiers/{remote}/cash", {"amount": "200000"}),
    ]  # fmt: skip
    for url, data in posts:
        r = client.post(url, data={**data, "csrf_token": token})
        assert r.status_code == 303 and r.headers["Location"].endswith(f"/dossiers/{remote}")
        back = client.get(r.headers["Location"]).get_data(as_text=True)
        assert back.count(READ_ONLY) == 2, url  # the refusal said, and the page's own note
    _unchanged(session, remote, before)

    # The citizen's status page and the kiosk's payment: shown, nothing offered, nothing made.
    citizen = floor.test_client()
    token = csrf(citizen, f"/d/{remote}")
    status = citizen.post(f"/d/{remote}", data={"csrf_token": token, "verify": CCCD[-4:]})
    shown = status.get_data(as_text=True)
    assert status.status_code == 200 and READ_ONLY in shown
    assert f"/d/{remote}/rating" not in shown and "VietQR" not in shown
    rated = citizen.post(f"/d/{remote}/rating", data={"csrf_token": token, "score": "5"})
    assert rated.status_code == 409 and READ_ONLY in rated.get_data(as_text=True)
    kiosk = floor.test_client()
    token = csrf(kiosk, "/kiosk/pay")
    paid = kiosk.post("/kiosk/pay", data={"csrf_token": token, "code": remote,
                                          "verify": CCCD[-4:]})  # fmt: skip
    assert paid.status_code == 409 and READ_ONLY in paid.get_data(as_text=True)
    _unchanged(session, remote, before)


def test_the_hubs_own_dossier_is_worked_as_ever(
    floor: Flask, client: FlaskClient, session: Session, remote: str
) -> None:
    officer = session.scalar(select(User).where(User.username == "canbo"))
    own = receive(session, {"officer": officer}).dossier
    sign_in(client, "quanly", "mat-khau-dai-2")
    page = client.get(f"/office/dossiers/{own.code}").get_data(as_text=True)
    assert 'data-testid="read-only"' not in page
    assert re.search(rf"/office/dossiers/{re.escape(own.code)}/move", page)
    token = csrf(client, f"/office/dossiers/{own.code}")
    client.post(f"/office/dossiers/{own.code}/move",
                data={"csrf_token": token, "to": "processing"})  # fmt: skip
    session.expire_all()
    assert session.get(Dossier, own.id).status == DossierState.PROCESSING  # type: ignore[union-attr]
