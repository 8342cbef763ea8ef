"""The loudness of every spoken word of the site (the kiosk's read-aloud, the displays' calls):
set by the center's manager on the office's sound page and kept in the database, the
deployment's KIOSK_SPEECH_VOLUME until then; a loudness that is not 0-100 is refused."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain import queue
from kiosk.domain.accounts.roles import Forbidden
from kiosk.models import SiteSetting, User
from tests.builders import csrf, signed, text


def _volume(page: str) -> str:
    found = re.search(r'data-speech-volume="([^"]+)"', page)
    assert found, "no data-speech-volume"
    return found.group(1)


def test_the_manager_sets_the_volume_of_the_kiosk_and_the_displays(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    floor.config["SPEECH_VOLUME"] = 90
    assert float(_volume(text(client.get("/kiosk/")))) == 0.9
    assert float(_volume(text(client.get("/office/display")))) == 0.9
    manager = signed(floor, "quanly", "mat-khau-dai-2")
    page = text(manager.get("/office/setup/sound"))
    assert "Âm lượng đọc" in page and "mặc định của bản cài đặt" in page and "90%" in page
    token = csrf(manager, "/office/setup/sound")
    for bad in ("150", "-5", "abc", "", "4.5", "٤٠"):
        r = manager.post("/office/setup/sound", data={"csrf_token": token, "volume": bad})
        assert r.status_code == 400, bad
        assert "Âm lượng là một số nguyên từ 0 đến 100" in text(r), bad
    assert session.scalar(select(SiteSetting)) is None  # nothing kept
    r = manager.post("/office/setup/sound", data={"csrf_token": token, "volume": "40"})
    assert r.status_code == 302
    shown = text(manager.get("/office/setup/sound"))
    assert "Đã lưu âm lượng 40%." in shown and "Đang dùng: 40% (do quản lý đặt)." in shown
    kept = session.scalar(select(SiteSetting))
    assert kept is not None and kept.value == "40" and kept.updated_by == "Trần Văn Minh"
    # Both screens that speak use it, whatever the deployment's setting says.
    assert float(_volume(text(client.get("/kiosk/")))) == 0.4
    assert float(_volume(text(client.get("/office/display")))) == 0.4
    r = manager.post("/office/setup/sound", data={"csrf_token": token, "volume": "0"})
    assert r.status_code == 302 and float(_volume(text(client.get("/kiosk/")))) == 0.0


def test_only_who_configures_the_floor_sets_it(floor: Flask, session: Session) -> None:
    officer = session.scalar(select(User).where(User.username == "canbo"))
    assert officer is not None
    with pytest.raises(Forbidden):
        queue.set_speech_volume(session, officer, "50")
    assert queue.speech_volume(session) is None
