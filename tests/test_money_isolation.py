"""Money and other writes on a dossier find it as the reads do (`dossiers.visible`, issue 17
hole 1): an agent who posts to the office's cash route with another branch's or a kiosk's
dossier code gets the very 404 of a code that does not exist, and nothing is paid; an agent's
audit entries carry their branch whatever the route; cash is counted for the branch whose desk
took it, not for the branch that filed the dossier."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain import money
from kiosk.models import AuditEntry, Dossier, Payment, User

from . import test_agent_branch
from .conftest import csrf, page_text
from .test_agent_branch import MISSING, signed
from .test_agent_isolation import file_as, upload

#: A dossier the BIDV branch filed, owing its fee (the fixture of test_agent_branch).
filed = test_agent_branch.filed


def paid(db_session: Session) -> int:
    db_session.expire_all()
    return int(
        db_session.scalar(select(func.count()).select_from(Payment).where(Payment.status == "paid"))
        or 0
    )


def test_another_branchs_or_a_kiosks_dossier_takes_no_cash_through_the_office(
    floor: Flask,
    api: FlaskClient,
    filed: dict[str, Any],
    db_session: Session,
) -> None:
    kiosk_code = file_as(api, {}, None).get_json()["code"]  # filed anonymously, online
    agribank = signed(floor, "dl-agr")
    token = csrf(agribank, "/agent/dossiers")
    form = {"csrf_token": token, "amount": str(filed["fee"])}
    nothing = agribank.post(f"/office/dossiers/{MISSING}/cash", data=form)
    assert nothing.status_code == 404
    for code in (filed["code"], kiosk_code):
        url = f"/office/dossiers/{code}/cash"
        got = agribank.post(url, data=form)
        assert got.status_code == 404, (code, got.status_code)
        missing_url = f"/office/dossiers/{MISSING}/cash"
        assert page_text(got).replace(url, "") == page_text(nothing).replace(missing_url, "")
    assert paid(db_session) == 0
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.cash")) is None


def test_an_agents_cash_is_audited_and_counted_under_their_own_branch(
    floor: Flask,
    filed: dict[str, Any],
    db_session: Session,
) -> None:
    # The BIDV agent takes the fee of their own dossier through the office's route.
    bidv = signed(floor, "dl-bidv")
    token = csrf(bidv, "/agent/dossiers")
    r = bidv.post(f"/office/dossiers/{filed['code']}/cash",
                  data={"csrf_token": token, "amount": str(filed["fee"])})  # fmt: skip
    assert r.status_code == 303
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.cash"))
    assert entry is not None and entry.branch_code == "BIDV-GL"
    cash = db_session.scalar(select(Payment).where(Payment.method == "cash"))
    assert cash is not None and cash.branch_code == "BIDV-GL"
    assert money.unremitted(db_session, "BIDV-GL") == (1, filed["fee"])


def test_cash_taken_at_the_centers_counter_is_not_the_filing_branchs_to_hand_over(
    floor: Flask,
    api: FlaskClient,
    filed: dict[str, Any],
    db_session: Session,
    branches: dict[str, dict[str, str]],
) -> None:
    officer = signed(floor, "canbo", "mat-khau-dai-1")
    token = csrf(officer, "/office/dossiers")
    r = officer.post(f"/office/dossiers/{filed['code']}/cash",
                     data={"csrf_token": token, "amount": str(filed["fee"])})  # fmt: skip
    assert r.status_code == 303 and paid(db_session) == 1
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.cash"))
    assert entry is not None and entry.branch_code == ""
    # BIDV filed it, but the center holds this cash: nothing for BIDV to hand over.
    assert money.unremitted(db_session, "BIDV-GL") == (0, 0)
    # And its own agent's cash on another of its dossiers is BIDV's.
    agent = signed(floor, "dl-bidv")
    bidv = branches["dl-bidv"]
    second = file_as(api, bidv, upload(api, bidv)).get_json()["code"]
    token = csrf(agent, "/agent/dossiers")
    agent.post(f"/agent/dossiers/{second}/cash",
               data={"csrf_token": token, "amount": str(filed["fee"])})  # fmt: skip
    assert money.unremitted(db_session, "BIDV-GL") == (1, filed["fee"])


def test_the_domain_refuses_cash_on_a_dossier_the_agent_may_not_see(
    filed: dict[str, Any], db_session: Session
) -> None:
    """Whatever view calls it: another branch's agent cannot record cash in the domain."""
    agribank = db_session.scalar(select(User).where(User.username == "dl-agr"))
    d = db_session.scalar(select(Dossier).where(Dossier.code == filed["code"]))
    assert agribank is not None and d is not None
    with pytest.raises(money.PaymentError, match="Không tìm thấy"):
        money.record_cash(db_session, d, agribank, filed["fee"])
    assert paid(db_session) == 0
