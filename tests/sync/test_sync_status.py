"""The sync's status on both engines. `GET /api/v1/sync/status`: a manager's token sees each
site the hub knows (its last event, its events today, its link as the ingest last saw it);
without a token 401, an officer's 403; a link not checked for a minute counts as down. On the
screens: a site's own /office shows its manager the events not sent yet and the last send; the
hub's dashboard flags a site silent longer than the hours its manager sets (/office/setup/sync,
refused to anyone else)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kiosk.domain import province
from kiosk.domain.clock import local, utcnow
from kiosk.domain.reports import Period
from tests.builders import csrf, sign_in, token_for, valid


def event(session: Session, site: str, at: dt.datetime, seq: int) -> None:
    province.receive(session, event_id=str(uuid.uuid4()), site=site, kind="dossier.received",
                     payload="{}", occurred_at=at, site_seq=seq)  # fmt: skip


def test_the_status_of_each_site(floor: Flask, client: FlaskClient, session: Session) -> None:
    now = utcnow()
    # The site's day so far, whatever the hour (just after midnight too): two events within
    # it, one a second before it began (yesterday's), and another site's three days ago.
    tz = ZoneInfo(floor.config["SITE_TZ"])
    day = local(now, tz).date()
    midnight, _ = Period(day, day).bounds(tz)
    first_at, last_at = midnight + (now - midnight) / 3, midnight + (now - midnight) * 2 / 3
    event(session, "000-00-41-H29", midnight - dt.timedelta(seconds=1), 1)
    event(session, "000-00-41-H29", first_at, 2)
    event(session, "000-00-41-H29", last_at, 3)
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
        tzinfo=None) == last_at.replace(microsecond=0)  # fmt: skip
    assert first["events_failed"] == 0  # every event applied (or nothing to apply)
    assert sites["000-00-42-H29"]["events_today"] == 0
    assert sites["000-00-42-H29"]["link_up"] is False  # never seen by the stream
    assert sites["000-00-43-H29"] == {"site": "000-00-43-H29", "last_event_at": None,
                                      "events_today": 0, "link_up": False,
                                      "events_failed": 0}  # fmt: skip


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


def test_a_sites_office_shows_its_backlog_and_its_last_send(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    from sqlalchemy import select

    from kiosk.domain import outbox
    from kiosk.models import OutboxEvent

    for n in range(3):
        outbox.record(session, "rating.stored", {"rating": {"score": n}, "dossier_id": None})
    session.commit()
    assert client.get("/office/").status_code == 302  # nobody signed in: the sign-in page
    sign_in(client, "quanly", "mat-khau-dai-2")
    page = client.get("/office/").get_data(as_text=True)
    assert "Sự kiện chưa gửi: 3" in page and "Chưa gửi được lần nào." in page
    assert "KIOSK_NATS_URL chưa đặt" in page  # one machine: kept, sent once linked
    first = session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)).first()
    assert first is not None
    outbox.mark_sent(session, [first.id], at=dt.datetime(2026, 12, 1, 3, 4, 5))
    session.commit()
    page = client.get("/office/").get_data(as_text=True)
    assert "Sự kiện chưa gửi: 2" in page
    assert "Lần gửi được gần nhất: 10:04:05 01/12/2026" in page  # the site's time
    # A counter officer works at the counters: no sync for them.
    officer = floor.test_client()
    sign_in(officer, "canbo", "mat-khau-dai-1")
    theirs = officer.get("/office/").get_data(as_text=True)
    assert officer.get("/office/").status_code == 200 and 'data-testid="sync-own"' not in theirs


def test_the_hubs_dashboard_flags_a_site_silent_past_the_managers_hours(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    from sqlalchemy import select

    from kiosk.models import User
    from tests.builders import receive

    officer = session.scalar(select(User).where(User.username == "canbo"))
    receive(session, {"officer": officer}, site_code="000.00.41.H29")  # another site's record
    now = utcnow()
    event(session, "000-00-41-H29", now - dt.timedelta(hours=3), 1)
    event(session, "000-00-42-H29", now - dt.timedelta(minutes=10), 1)
    province.note_links(session, {"000-00-42-H29": (True, 0)}, now)
    session.commit()

    setup = "/office/setup/sync"
    assert client.get(setup).status_code == 302  # the sign-in page
    sign_in(client, "canbo", "mat-khau-dai-1")
    assert client.get(setup).status_code == 403
    assert client.post(setup, data={"csrf_token": csrf(client, "/office/"),
                                    "hours": "5"}).status_code == 403  # fmt: skip
    client.post("/office/logout", data={"csrf_token": csrf(client, "/office/")})
    sign_in(client, "quanly", "mat-khau-dai-2")

    def flagged() -> set[str]:
        page = client.get("/office/reports").get_data(as_text=True)
        rows = re.findall(r'<tr data-sync-site="([^"]+)">(.*?)</tr>', page, re.S)
        assert {site for site, _ in rows} == {"000-00-41-H29", "000-00-42-H29"}
        return {site for site, row in rows if 'data-testid="silent"' in row}

    assert flagged() == {"000-00-41-H29"}  # silent 3 hours, past the default 2
    page = client.get(setup).get_data(as_text=True)
    assert "Đang dùng: 2 giờ." in page
    token = csrf(client, setup)
    for bad in ("0", "721", "hai", ""):
        r = client.post(setup, data={"csrf_token": token, "hours": bad})
        assert r.status_code == 400, bad
        assert "Số giờ là một số nguyên từ 1 đến 720" in r.get_data(as_text=True)
    assert province.silent_hours(session) == 2
    r = client.post(setup, data={"csrf_token": token, "hours": "4"})
    assert r.status_code == 302
    assert "Đã lưu: báo đơn vị im lặng quá 4 giờ." in client.get(setup).get_data(as_text=True)
    assert flagged() == set()
