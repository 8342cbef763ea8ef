"""A citizen rates a dossier once it has a result (resolved, returned or refused), whatever
the way in: the domain, the status page, the kiosk's status screen and the API refuse a rating
before that, with the reason in Vietnamese, and keep nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain import dossiers, ratings
from kiosk.models import Rating
from tests.builders import csrf, file_lltp, give_result, text, valid

NOT_YET = "Hồ sơ chưa có kết quả nên chưa đánh giá được."


def _ratings(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Rating)) or 0


def test_the_domain_refuses_a_rating_before_the_result(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    code = file_lltp(client).get_json()["code"]
    found = dossiers.find(session, code)
    assert found is not None and not ratings.may_rate(found)
    with pytest.raises(ratings.NoResultYet, match=f"^{NOT_YET}"):
        ratings.rate(session, 5, ["thai_do"], "", source="status_page", dossier=found)
    assert _ratings(session) == 0
    give_result(floor, code)
    session.expire_all()
    kept = ratings.rate(session, 5, ["thai_do"], "", source="status_page", dossier=found)
    assert kept.score == 5 and _ratings(session) == 1


def test_the_api_answers_409_before_the_result(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    code = file_lltp(client).get_json()["code"]
    rate = f"/api/v1/dossiers/{code}/rating"
    r = client.post(rate, json={"verify": "1234", "score": 4})
    assert r.status_code == 409
    valid(r.get_json(), "/dossiers/{code}/rating", "post", 409)
    assert r.get_json()["error"]["code"] == "no_result_yet"
    assert r.get_json()["error"]["message"].startswith(NOT_YET)
    assert _ratings(session) == 0
    give_result(floor, code)
    assert client.post(rate, json={"verify": "1234", "score": 4}).status_code == 201


def test_the_kiosk_status_screen_offers_and_takes_a_rating_only_with_a_result(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    code = file_lltp(client).get_json()["code"]
    kiosk = floor.test_client()
    token = csrf(kiosk, "/kiosk/status")
    seen = kiosk.post("/kiosk/status", data={"csrf_token": token, "code": code, "verify": "1234"})
    assert seen.status_code == 200
    assert "Gửi đánh giá" not in text(seen)
    assert "Ông/bà sẽ được mời đánh giá khi hồ sơ có kết quả." in text(seen)
    # A rating posted anyway (a form kept from before, a second tab) is refused with the reason.
    early = kiosk.post(f"/d/{code}/rating",
                       data={"csrf_token": token, "score": "5", "source": "kiosk"})  # fmt: skip
    assert early.status_code == 409 and NOT_YET in text(early)
    assert _ratings(session) == 0
    give_result(floor, code)
    again = kiosk.post("/kiosk/status", data={"csrf_token": token, "code": code, "verify": "1234"})
    assert "Gửi đánh giá" in text(again)
    r = kiosk.post(f"/d/{code}/rating", data={"csrf_token": token, "score": "5", "source": "kiosk"})
    assert r.status_code == 302
    kept = session.scalar(select(Rating))
    assert kept is not None and kept.score == 5 and kept.source == "kiosk"
