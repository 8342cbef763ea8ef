"""`GET /api/v1/sync/status` on both engines: a manager's token sees each site the hub knows
(its last event, its events today, its link as the ingest last saw it); without a token 401,
an officer's 403; a link not checked for a minute counts as down."""

from __future__ import annotations

import datetime as dt
import uuid

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kiosk.domain import province
from kiosk.domain.clock import utcnow
from tests.builders import token_for, valid


def event(session: Session, site: str, at: dt.datetime, seq: int) -> None:
    province.receive(session, event_id=str(uuid.uuid4()), site=site, kind="dossier.received",
                     payload="{}", occurred_at=at, site_seq=seq)  # fmt: skip


def test_the_status_of_each_site(floor: Flask, client: FlaskClient, session: Session) -> None:
    now = utcnow()
    event(session, "000-00-41-H29", now - dt.timedelta(minutes=5), 1)
    event(session, "000-00-41-H29", now - dt.timedelta(minutes=1), 2)
    event(session, "000-00-42-H29", now - dt.timedelta(days=3), 1)
    province.note_links(session, {"000-00-41-H29": (True, 0), "000-00-43-H29": (False, -1)},
                        now)  # fmt: skip
    session.commit()

    assert client.get("/api/v1/sync/status").status_code == 401
    officer = {"Authorization": f"Bearer {token_for(floor, 'canbo')}"}
    r = client.get("/api/v1/sync/status", headers=officer)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"  # type: ignore[index]
    manager = {"Authorization": f"Bearer {token_for(floor, 'quanly')}"}
    r = client.get("/api/v1/sync/status", headers=manager)
    assert r.status_code == 200
    valid(r.json, "/sync/status", "get", 200)
    sites = {s["site"]: s for s in r.json["sites"]}  # type: ignore[index]
    assert list(sites) == ["000-00-41-H29", "000-00-42-H29", "000-00-43-H29"]
    first = sites["000-00-41-H29"]
    assert first["events_today"] == 2 and first["link_up"] is True
    assert dt.datetime.fromisoformat(first["last_event_at"]).astimezone(dt.UTC).replace(
        tzinfo=None) == (now - dt.timedelta(minutes=1)).replace(microsecond=0)  # fmt: skip
    assert sites["000-00-42-H29"]["events_today"] == 0
    assert sites["000-00-42-H29"]["link_up"] is False  # never seen by the stream
    assert sites["000-00-43-H29"] == {"site": "000-00-43-H29", "last_event_at": None,
                                      "events_today": 0, "link_up": False}  # fmt: skip


def test_a_link_nobody_checked_lately_counts_as_down(floor: Flask, session: Session) -> None:
    from sqlalchemy import select

    from kiosk.models import User

    manager = session.scalar(select(User).where(User.username == "quanly"))
    long_ago = utcnow() - dt.timedelta(minutes=5)
    province.note_links(session, {"000-00-41-H29": (True, 0)}, long_ago)
    session.commit()
    day = (utcnow() - dt.timedelta(days=1), utcnow() + dt.timedelta(days=1))
    (site,) = province.sync_status(session, manager, day_start=day[0], day_end=day[1])
    assert site.site == "000-00-41-H29" and site.link_up is False
