"""The citizen's status check, one domain function (`dossiers.open_for_citizen`) behind every
path that opens a dossier with its code and a second fact: the API's status, fee and rating,
the phone's status page, the kiosk's status and payment screens. The fact is exactly four
digits and must be the end of a real number of the dossier: a dossier filed without a phone
is not opened by the "no phone" placeholder, nor by anything that is not four digits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain import catalog, dossiers, money
from kiosk.domain.dossiers import workdays
from kiosk.models import PrintJob, Rating, User
from tests.builders import csrf, give_result

SITE = "000.00.01.H29"
NAME = "Nguyễn Thị Hồng Nhung"
MISSING = "000.00.01.H29-200101-0009"
#: Not a fact of the dossier: the "no phone" placeholder, five digits, letters, a wrong four.
WRONG = ("----", "12345", "abcd", "9999", " 123", "١٢٣٤")
RIGHT = "1234"  # the CCCD's last four


@pytest.fixture
def no_phone(floor: Flask, session: Session) -> str:
    """A dossier with a fee, received at a counter for a citizen who gave no phone, and an
    account collecting the fee."""
    floor.config["STATUS_LOOKUPS_PER_MINUTE"] = 1000
    workdays.seed_calendar(session, [2026, 2027])
    manager = session.scalar(select(User).where(User.username == "quanly"))
    officer = session.scalar(select(User).where(User.username == "canbo"))
    money.add_account(session, agency=SITE, bank_bin="970418", number="1234567890",
                         holder="Trung tam PVHCC", actor=manager)  # fmt: skip
    proc = catalog.get_procedure(session, "1.004222")
    assert proc is not None
    applicant = dossiers.Applicant(NAME, "064185001234", None, "Nữ", "")
    got = dossiers.receive(session, proc, applicant, channel="direct", site_code=SITE,
                           actor=officer)  # fmt: skip
    assert got.dossier.applicant_phone == ""
    return got.dossier.code


def _api_status(c: FlaskClient, code: str, fact: str) -> Any:
    return c.get(f"/api/v1/dossiers/{code}", query_string={"verify": fact})


def _api_fee(c: FlaskClient, code: str, fact: str) -> Any:
    return c.get(f"/api/v1/dossiers/{code}/payment", query_string={"verify": fact})


def _api_rating(c: FlaskClient, code: str, fact: str) -> Any:
    return c.post(f"/api/v1/dossiers/{code}/rating", json={"verify": fact, "score": 5})


def _status_page(c: FlaskClient, code: str, fact: str) -> Any:
    token = csrf(c, f"/d/{code}")
    return c.post(f"/d/{code}", data={"csrf_token": token, "verify": fact})


def _kiosk_status(c: FlaskClient, code: str, fact: str) -> Any:
    token = csrf(c, "/kiosk/status")
    return c.post("/kiosk/status", data={"csrf_token": token, "code": code, "verify": fact})


def _kiosk_pay(c: FlaskClient, code: str, fact: str) -> Any:
    token = csrf(c, "/kiosk/pay")
    return c.post(
        "/kiosk/pay",
        data={"csrf_token": token, "code": code, "verify": fact},
        follow_redirects=True,
    )


PATHS: dict[str, Callable[[FlaskClient, str, str], Any]] = {
    "api status": _api_status,
    "api fee": _api_fee,
    "api rating": _api_rating,
    "status page": _status_page,
    "kiosk status": _kiosk_status,
    "kiosk payment": _kiosk_pay,
}


def _counts(s: Session) -> tuple[int, int]:
    s.expire_all()
    fee_slips = s.scalar(select(func.count()).select_from(PrintJob).where(PrintJob.kind == "fee"))
    return fee_slips or 0, s.scalar(select(func.count()).select_from(Rating)) or 0


@pytest.mark.parametrize("path", PATHS)
def test_only_the_real_four_digits_open_a_dossier_filed_without_a_phone(
    floor: Flask, no_phone: str, session: Session, path: str
) -> None:
    ask = PATHS[path]
    if path == "api rating":  # a dossier is rated once it has a result
        give_result(floor, no_phone)
    missing = ask(floor.test_client(), MISSING, RIGHT)
    assert missing.status_code == 404
    for fact in WRONG:
        r = ask(floor.test_client(), no_phone, fact)
        assert r.status_code == 404, (path, fact, r.status_code)
        if r.is_json:  # the API: byte for byte the answer for a code that does not exist
            assert r.get_data() == missing.get_data(), (path, fact)
        else:
            page = r.get_data(as_text=True)
            assert "Không tìm thấy hồ sơ với mã và số xác minh này." in page, (path, fact)
            assert NAME not in page and "Nguyễn" not in page, (path, fact)
        assert _counts(session) == (0, 0), (path, fact)  # no fee slip printed, no rating
    ok = ask(floor.test_client(), no_phone, RIGHT)
    assert ok.status_code in (200, 201), (path, ok.status_code)
    if path == "kiosk payment":  # the fee slip, with the applicant's name, prints only now
        assert _counts(session)[0] == 1
    if path == "api rating":
        assert _counts(session)[1] == 1


def test_the_check_counts_every_try_against_the_rate_limit(
    floor: Flask, no_phone: str, session: Session
) -> None:
    for _ in range(3):
        assert dossiers.open_for_citizen(session, no_phone, "9999", asker="a", per_minute=3) \
            is None  # fmt: skip
    with pytest.raises(dossiers.TooManyLookups):  # the right fact too, once past the limit
        dossiers.open_for_citizen(session, no_phone, RIGHT, asker="a", per_minute=3)
    found = dossiers.open_for_citizen(session, no_phone, RIGHT, asker="b", per_minute=3)
    assert found is not None and found.code == no_phone
    assert dossiers.open_for_citizen(session, no_phone, None, asker="b", per_minute=3) is None
