"""At the hub, on both engines (each site's own database is SQLite): two sites' fees paid by
bank transfers that carry the same transaction id are two payments, and one bank's id is still
taken once at a site; an event the hub cannot apply never stops the others: the rest of its
batch is applied, it stays stored with its error, counted on the sync's status (the API's
`events_failed`, the hub's dashboard), and `kiosk sync reapply` applies it once its cause is
set right."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.domain import dossiers, outbox, province
from kiosk.domain.accounts import create_user
from kiosk.domain.dossiers import DossierState
from kiosk.domain.money import notifications, payments
from kiosk.models import Dossier, DossierEvent, OutboxEvent, Payment, ProvinceEvent, User
from tests.builders import receive, sign_in, site_db, token_for, valid

A, B = "000.00.41.H29", "000.00.42.H29"
DA, DB = A.replace(".", "-"), B.replace(".", "-")


def _staff(s: Session) -> dict[str, User]:
    users = {u.username: u for u in s.scalars(select(User))}
    return {"officer": users["canbo"], "processor": users["xuly"]}


def _paid_by_bank(s: Session, code: str, bank: str, txn: str) -> Dossier:
    """A dossier received at site `code` whose fee the bank `bank` notifies paid, its
    transaction `txn`."""
    manager = create_user(s, "quanly", "mat-khau-dai-3", "manager")
    d = receive(s, _staff(s), site_code=code).dossier
    payments.add_account(s, agency=d.unit or d.site_code, bank_bin="970418",
                         number="1234567890", holder="Trung tam PVHCC", actor=manager)  # fmt: skip
    secret = notifications.rotate_secret(s, bank)
    pay = payments.open_payment(s, d)
    assert pay is not None
    body = json.dumps({"reference": pay.reference, "amount": pay.amount_vnd, "bank_txn_id": txn,
                       "paid_at": dt.datetime.now(dt.UTC).isoformat()}).encode()  # fmt: skip
    stamp = str(int(time.time()))
    told = notifications.notify(s, bank, stamp, notifications.signature(secret, stamp, body), body)
    assert told.outcome == "paid", told
    return d


def _events(s: Session, domain: str) -> list[province.Incoming]:
    """The site's outbox as the ingest hands it to `receive_all`."""
    return [
        province.Incoming(e.id, domain, e.kind, outbox.payload_of(s, e), e.created_at, e.seq)
        for e in s.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))
    ]


def _close(*sites: Session) -> None:
    for s in sites:
        s.get_bind().dispose()  # type: ignore[union-attr]
        s.close()


def test_two_sites_payments_with_one_bank_transaction_id_are_two(
    floor: Flask, session: Session, sqlite_demo: Path, tmp_path: Path
) -> None:
    a = site_db(sqlite_demo, tmp_path / "a.db")
    b = site_db(sqlite_demo, tmp_path / "b.db")
    try:
        # Two sites, each paid through BIDV with the same transaction id (each site's bank
        # account its own), and a third payment through Agribank with it again.
        da = _paid_by_bank(a, A, "BIDV", "FT26337000123")
        db_ = _paid_by_bank(b, B, "BIDV", "FT26337000123")
        other = receive(b, _staff(b), site_code=B).dossier
        pay = payments.open_payment(b, other)
        assert pay is not None
        body = json.dumps({"reference": pay.reference, "amount": pay.amount_vnd,
                           "bank_txn_id": "FT26337000123",
                           "paid_at": dt.datetime.now(dt.UTC).isoformat()}).encode()  # fmt: skip
        secret = notifications.rotate_secret(b, "AGRIBANK")
        stamp = str(int(time.time()))
        told = notifications.notify(b, "AGRIBANK", stamp,
                                    notifications.signature(secret, stamp, body), body)  # fmt: skip
        assert told.outcome == "paid"  # two banks' ids coincide at one site: two payments

        stored = province.receive_all(session, _events(a, DA) + _events(b, DB))
        session.commit()
        assert stored == len(_events(a, DA)) + len(_events(b, DB))
        kept = {p.dossier_id: p for p in session.scalars(
            select(Payment).where(Payment.bank_txn_id == "FT26337000123"))}  # fmt: skip
        assert set(kept) == {da.id, db_.id, other.id}
        assert {(p.site, p.bank_code, p.status) for p in kept.values()} == {
            (DA, "BIDV", "paid"), (DB, "BIDV", "paid"), (DB, "AGRIBANK", "paid")}  # fmt: skip
        for d in (da, db_, other):
            got = session.get(Dossier, d.id)
            assert got is not None and got.fee_paid_by == "transfer"
        failed = session.scalar(
            select(func.count()).where(ProvinceEvent.failed_at.is_not(None)))  # fmt: skip
        assert failed == 0

        # At one site, one bank's transaction is still taken once: a second payment under it
        # is refused by the database itself.
        again = a.scalar(select(Payment).where(Payment.dossier_id == da.id))
        assert again is not None
        a.add(Payment(reference="HSAGAIN000001", dossier_id=da.id, amount_vnd=1, status="paid",
                      method="transfer", created_at=again.created_at,
                      expires_at=again.expires_at, bank_code="BIDV",
                      bank_txn_id="FT26337000123"))  # fmt: skip
        with pytest.raises(IntegrityError):
            a.flush()
        a.rollback()
    finally:
        _close(a, b)


def test_a_poison_event_is_kept_shown_and_reapplied_and_the_rest_goes_on(
    floor: Flask, client: FlaskClient, runner: FlaskCliRunner, session: Session,
    sqlite_demo: Path, tmp_path: Path,
) -> None:  # fmt: skip
    a = site_db(sqlite_demo, tmp_path / "a.db")
    b = site_db(sqlite_demo, tmp_path / "b.db")
    try:
        first = receive(a, _staff(a), site_code=A).dossier
        dossiers.move(a, first, DossierState.RESOLVED, _staff(a)["processor"],
                      now=first.received_at + dt.timedelta(days=1))  # fmt: skip
        second = receive(a, _staff(a), site_code=A).dossier
        theirs = _paid_by_bank(b, B, "BIDV", "FT1")
        ea, eb = _events(a, DA), _events(b, DB)
        # Poison 1: a record the hub cannot read (a date the site never writes).
        broken = json.loads(ea[1].payload)
        broken["move"]["at"] = "hôm qua"
        bad_move = province.Incoming(ea[1].event_id, DA, ea[1].kind, json.dumps(broken),
                                     ea[1].occurred_at, ea[1].site_seq)  # fmt: skip
        # Poison 2: a payment of site A's second dossier under the reference of site B's
        # payment (two sites' codes coinciding): never taken for the same payment.
        pay_b = next(e for e in eb if e.kind == "payment.paid")
        taken = json.loads(pay_b.payload)
        taken["payment"]["bank_txn_id"] = "FT2"
        taken["dossier_id"] = taken["payment"]["dossier_id"] = second.id
        clash = province.Incoming(str(uuid.uuid4()), DA, "payment.paid", json.dumps(taken),
                                  ea[-1].occurred_at, ea[-1].site_seq + 1)  # fmt: skip

        # One batch, the poison in its middle.
        batch = [*eb, ea[0], bad_move, clash, *ea[2:]]
        assert province.receive_all(session, batch) == len(batch)
        session.commit()
        session.expire_all()
        got = session.get(Dossier, first.id)
        assert got is not None and got.status == DossierState.ACCEPTED  # its move not applied
        assert session.get(Dossier, second.id) is not None  # after the poison: applied
        assert session.get(Dossier, theirs.id) is not None
        ours = (first.id, second.id, theirs.id)
        paid = session.scalars(select(Payment).where(Payment.dossier_id.in_(ours))).all()
        assert [(p.dossier_id, p.site) for p in paid] == [(theirs.id, DB)]  # not "merged"
        failed = {e.id: e for e in session.scalars(
            select(ProvinceEvent).where(ProvinceEvent.failed_at.is_not(None)))}  # fmt: skip
        assert set(failed) == {bad_move.event_id, clash.event_id}  # kept, with why
        assert "hôm qua" in failed[bad_move.event_id].error
        assert "EventRefused" in failed[clash.event_id].error

        # Shown: the API's additional field, and the hub's dashboard.
        manager = {"Authorization": f"Bearer {token_for(floor, 'quanly')}"}
        r = client.get("/api/v1/sync/status", headers=manager)
        valid(r.json, "/sync/status", "get", 200)
        sites = {s["site"]: s for s in r.json["sites"]}  # type: ignore[index]
        assert sites[DA]["events_failed"] == 2 and sites[DB]["events_failed"] == 0
        assert set(sites[DA]) == {"site", "last_event_at", "events_today", "link_up",
                                  "events_failed"}  # fmt: skip
        sign_in(client, "quanly", "mat-khau-dai-2")
        page = client.get("/office/reports").get_data(as_text=True)
        row = page.split(f'data-sync-site="{DA}"')[1].split("</tr>")[0]
        assert 'data-testid="events-failed">2<' in row
        assert "kiosk sync reapply" in page

        # The first one's cause set right (its record read again from the site): reapplied;
        # the other fails again and stays counted.
        fixed = session.get(ProvinceEvent, bad_move.event_id)
        assert fixed is not None
        fixed.payload = ea[1].payload
        session.commit()
        result = runner.invoke(args=["sync", "reapply"])
        assert result.exit_code == 1, result.output
        assert "Đã áp dụng lại 1 sự kiện; còn 1 sự kiện chưa áp dụng được." in result.output
        session.expire_all()
        got = session.get(Dossier, first.id)
        assert got is not None and got.status == DossierState.RESOLVED
        assert session.scalar(select(func.count()).select_from(DossierEvent).where(
            DossierEvent.dossier_id == first.id)) == 2  # fmt: skip
        assert province.failed_counts(session) == {DA: 1}
        again = session.get(ProvinceEvent, bad_move.event_id)
        assert again is not None and again.failed_at is None and again.error == ""
        # Delivered again (a redelivered batch): nothing twice, nothing lost.
        assert province.receive_all(session, batch) == 0
        session.commit()
        assert province.failed_counts(session) == {DA: 1}
    finally:
        _close(a, b)
