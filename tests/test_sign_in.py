"""Signing in and staying signed in, against someone trying (issue 17, holes 4, 8, 9, 10 and
the first of 13): the second factor can be neither guessed between passwords nor replayed;
production refuses weak keys and published demo accounts and keeps its cookie to HTTPS;
sessions end on the server; staff change their own password, and must when someone else set
it; `next` never leaves the site; a stranger's wrong passwords do not lock the owner out."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk import create_app
from kiosk.config import ConfigError
from kiosk.demo.accounts import DEMO_ACCOUNTS
from kiosk.domain import accounts
from kiosk.domain.accounts import IdentityError, authenticate, create_user
from kiosk.domain.accounts.branches import create_branch
from kiosk.domain.clock import utcnow
from kiosk.models import AuditEntry, User

from .conftest import change_password, csrf, sign_in, token_for, valid

STRONG = secrets.token_hex(32)


def text(r: Any) -> str:
    return str(r.get_data(as_text=True))


def _supervisor(db_session: Session, name: str = "ks") -> User:
    """A supervisor (password mat-khau-dai-8) with a second factor already enrolled."""
    create_branch(db_session, "AGR-GL", bank="AGRIBANK", name="Agribank Gia Lai")
    user = create_user(db_session, name, "mat-khau-dai-8", "supervisor", "Kiểm soát",
                       branch_code="AGR-GL")  # fmt: skip
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled = True
    db_session.commit()
    return user


def _code(client: FlaskClient, code: str) -> Any:
    token = csrf(client, "/office/login")
    return client.post("/office/login/totp", data={"csrf_token": token, "code": code})


# --- hole 4: the second factor --------------------------------------------------------------


def test_wrong_codes_lock_the_second_step_however_often_the_password_is_given(
    api: FlaskClient, db_session: Session
) -> None:
    """Password, wrong code, password, wrong code...: a right password once cleared the
    count, so codes could be guessed without end. They count on their own now."""
    user = _supervisor(db_session)
    for _ in range(accounts.MAX_TOTP_FAILURES):
        assert (
            sign_in(api, "ks", "mat-khau-dai-8")
            .headers["Location"]
            .startswith("/office/login/totp")
        )
        assert _code(api, "000000").status_code == 401
    # The password still opens the second step (a stranger cannot lock anyone: they would need
    # it), but the right code is refused until the window has passed.
    assert sign_in(api, "ks", "mat-khau-dai-8").status_code == 302
    locked = _code(api, pyotp.TOTP(user.totp_secret).now())
    assert locked.status_code == 401 and "quá nhiều lần" in text(locked)
    assert api.get("/office/dossiers").headers["Location"].startswith("/office/login")
    # After the window the owner signs in.
    later = utcnow() + accounts.FAILURE_WINDOW + dt.timedelta(seconds=1)
    code = pyotp.TOTP(user.totp_secret).at(later.replace(tzinfo=dt.UTC))
    accounts.check_totp(db_session, user, code, now=later)


def test_an_unlock_by_the_operator_lifts_the_brakes_of_both_steps(
    api: FlaskClient, db_session: Session
) -> None:
    """`kiosk users unlock` is what a supervisor locked out of their second step is told to ask
    for: it clears the wrong codes and passwords counted against the account."""
    user = _supervisor(db_session)
    for _ in range(accounts.MAX_TOTP_FAILURES):
        sign_in(api, "ks", "mat-khau-dai-8")
        _code(api, "000000")
    runner = api.application.test_cli_runner()
    assert runner.invoke(args=["users", "unlock", "ks"]).exit_code == 0
    assert sign_in(api, "ks", "mat-khau-dai-8").status_code == 302
    assert _code(api, pyotp.TOTP(user.totp_secret).now()).status_code == 302


def test_a_code_signs_in_once(api: FlaskClient, db_session: Session) -> None:
    user = _supervisor(db_session)
    code = pyotp.TOTP(user.totp_secret).now()
    sign_in(api, "ks", "mat-khau-dai-8")
    assert _code(api, code).status_code == 302
    api.post("/office/logout", data={"csrf_token": csrf(api, "/office/login")})
    # The same code, seen over a shoulder or replayed, does not open a second session.
    thief = api.application.test_client()
    sign_in(thief, "ks", "mat-khau-dai-8")
    replay = _code(thief, code)
    assert replay.status_code == 401 and "đã được dùng" in text(replay)
    # The next code does.
    assert _code(thief, pyotp.TOTP(user.totp_secret).at(time.time() + 30)).status_code == 302


def test_a_code_and_an_older_one_are_refused_in_the_domain(db_session: Session) -> None:
    user = _supervisor(db_session)
    totp = pyotp.TOTP(user.totp_secret)
    now = utcnow()
    accounts.check_totp(db_session, user, totp.at(now.replace(tzinfo=dt.UTC)), now=now)
    for earlier in (0, -30):  # the same step, and the one before it (still in the window)
        at = now.replace(tzinfo=dt.UTC) + dt.timedelta(seconds=earlier)
        with pytest.raises(IdentityError, match="đã được dùng"):
            accounts.check_totp(db_session, user, totp.at(at), now=now)


# --- hole 8: production -----------------------------------------------------------------------


@pytest.fixture
def production(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Builds apps in production on the test's database (`commands=True`: as the `kiosk`
    command does), and lets go of their connections after the test."""
    made: list[Flask] = []

    def build(commands: bool = False) -> Flask:
        config = {"TESTING": True, "ENV": "production", "SECRET_KEY": STRONG,
                  "DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "prod")}  # fmt: skip
        made.append(create_app(config, commands=commands))
        return made[-1]

    yield build
    for app in made:
        app.extensions["kiosk.engine"].dispose()


@pytest.mark.parametrize(
    "key",
    [
        "changeme",
        "test-secret",
        "CHANGEME",
        "x",
        "bench",
        "k" * 31,
        "ab" * 20,
        "secret-key",
        "0123456789abcdef0123456789abcdef",
        "your-secret-key-here-change-me-please-123",
    ],
)
def test_production_refuses_a_short_or_known_secret_key(tmp_path: Path, key: str) -> None:
    """A guessed key forges any session, the second step of signing in included."""
    with pytest.raises(ConfigError, match="secrets.token_hex"):
        create_app({"ENV": "production", "SECRET_KEY": key, "INSTANCE_PATH": str(tmp_path)})


def test_production_refuses_demo_accounts_until_they_are_locked(
    app: Flask, production: Callable[..., Flask]
) -> None:
    s = app.extensions["kiosk.sessionmaker"]()
    for code in ("BIDV-GL", "AGR-GL"):
        create_branch(s, code, bank="BIDV", name=code)
    for name, password, role, full_name, place in DEMO_ACCOUNTS:
        branch, unit = (None, place or "") if role == "manager" else (place, "")
        create_user(s, name, password, role, full_name, branch, unit_code=unit)
    real = s.scalar(select(User).where(User.username == "quanly"))
    assert real is not None
    accounts.reset_password(s, "quanly", "mot-mat-khau-that-su")  # no longer the published one
    s.close()
    with pytest.raises(ConfigError, match="kiosk users lock --demo") as refused:
        production()
    assert "canbo" in str(refused.value) and "quanly" not in str(refused.value)
    # `kiosk serve` says so before it starts anything.
    commands = production(commands=True)
    served = commands.test_cli_runner().invoke(args=["serve"])
    assert served.exit_code != 0 and "kiosk users lock --demo" in served.output
    locked = commands.test_cli_runner().invoke(args=["users", "lock", "--demo"])
    assert locked.exit_code == 0 and "khóa tài khoản canbo" in locked.output, locked.output
    prod = production()
    assert sign_in(prod.test_client(), "canbo", "canbo-demo-2026").status_code == 401
    assert sign_in(prod.test_client(), "quanly", "mot-mat-khau-that-su").status_code == 302


def test_production_cookies_travel_over_https_only(
    app: Flask, production: Callable[..., Flask]
) -> None:
    s = app.extensions["kiosk.sessionmaker"]()
    create_user(s, "canbo", "mat-khau-dai-1", "officer")
    s.close()
    for flask_app, secure in ((app, False), (production(), True)):
        client = flask_app.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        r = sign_in(client, "canbo", "mat-khau-dai-1")
        assert r.status_code == 302
        cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("; Secure" in cookie) is secure, cookie
        hsts = r.headers.get("Strict-Transport-Security")
        assert (hsts == "max-age=31536000") if secure else hsts is None


# --- hole 9: sessions end; passwords are the owner's ------------------------------------------


def _copy_session(source: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of `source`'s session cookie."""
    cookie = source.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_signing_out_ends_the_session_on_the_server(floor: Flask) -> None:
    manager = floor.test_client()
    sign_in(manager, "quanly", "mat-khau-dai-2")
    thief = _copy_session(manager, floor)
    assert thief.get("/office/reports").status_code == 200
    manager.post("/office/logout", data={"csrf_token": csrf(manager, "/office/")})
    r = thief.get("/office/reports")
    assert r.status_code == 302 and r.headers["Location"].startswith("/office/login")
    # Signing in again is a new session; the copy stays dead.
    sign_in(manager, "quanly", "mat-khau-dai-2")
    assert manager.get("/office/reports").status_code == 200
    assert thief.get("/office/reports").status_code == 302


def test_the_kiosks_idle_reset_forgets_the_citizen_not_a_staff_sign_in(floor: Flask) -> None:
    """A page elsewhere pointing at /kiosk/reset (an <img>, a link) does not sign staff out;
    the citizen's language and screens are forgotten as ever."""
    officer = floor.test_client()
    sign_in(officer, "canbo", "mat-khau-dai-1")
    officer.get("/lang/en?next=/kiosk/")
    with officer.session_transaction() as s:
        s["dossiers_seen"] = ["000.00.01.H29-261203-0001"]
    assert officer.get("/kiosk/reset").status_code == 302
    with officer.session_transaction() as s:
        assert "lang" not in s and "dossiers_seen" not in s
    assert officer.get("/office/").status_code == 200
    citizen = floor.test_client()
    citizen.get("/lang/en?next=/kiosk/")
    citizen.get("/kiosk/reset")
    with citizen.session_transaction() as s:
        assert dict(s) == {}


def test_a_lock_ends_sessions_and_an_unlock_does_not_revive_them(floor: Flask) -> None:
    agent = floor.test_client()
    sign_in(agent, "daily", "mat-khau-dai-3")
    thief = _copy_session(agent, floor)
    runner = floor.test_cli_runner()
    assert runner.invoke(args=["users", "lock", "daily"]).exit_code == 0
    assert sign_in(floor.test_client(), "daily", "mat-khau-dai-3").status_code == 401
    assert runner.invoke(args=["users", "unlock", "daily"]).exit_code == 0
    for client in (agent, thief):
        assert client.get("/agent/dossiers").status_code == 302
    assert sign_in(agent, "daily", "mat-khau-dai-3").status_code == 302
    assert agent.get("/agent/dossiers").status_code == 200
    missing = runner.invoke(args=["users", "lock", "khong-co"])
    assert missing.exit_code != 0 and "Không có tài khoản khong-co" in missing.output


def test_staff_change_their_own_password_and_other_sessions_end(floor: Flask) -> None:
    officer = floor.test_client()
    sign_in(officer, "canbo", "mat-khau-dai-1")
    elsewhere = floor.test_client()
    sign_in(elsewhere, "canbo", "mat-khau-dai-1")
    page = text(officer.get("/office/"))
    assert 'href="/office/password"' in page  # reachable from every staff page
    token = csrf(officer, "/office/password")
    for data, message in (
        ({"current": "sai-mat-khau", "new": "moi-dai-du-9", "repeat": "moi-dai-du-9"},
         "hiện tại không đúng"),
        ({"current": "mat-khau-dai-1", "new": "ngan", "repeat": "ngan"}, "ít nhất 8"),
        ({"current": "mat-khau-dai-1", "new": "moi-dai-du-9", "repeat": "moi-dai-du-8"},
         "không giống nhau"),
        ({"current": "mat-khau-dai-1", "new": "mat-khau-dai-1", "repeat": "mat-khau-dai-1"},
         "phải khác"),
    ):  # fmt: skip
        r = officer.post("/office/password", data={**data, "csrf_token": token})
        assert r.status_code == 400 and message in text(r), message
    done = change_password(officer, "mat-khau-dai-1", "moi-dai-du-9")
    assert done.status_code == 303
    assert "password-changed" in text(officer.get(done.headers["Location"]))
    assert officer.get("/office/").status_code == 200  # this session goes on
    assert elsewhere.get("/office/").status_code == 302  # the other one ended
    assert sign_in(floor.test_client(), "canbo", "mat-khau-dai-1").status_code == 401
    assert sign_in(floor.test_client(), "canbo", "moi-dai-du-9").status_code == 302
    # An agent reaches the same page from the portal.
    agent = floor.test_client()
    sign_in(agent, "daily", "mat-khau-dai-3")
    assert 'href="/office/password"' in text(agent.get("/agent/dossiers"))
    assert change_password(agent, "mat-khau-dai-3", "dai-ly-moi-2026").status_code == 303


def _must_change_first(floor: Flask, name: str, password: str, first_page: str) -> FlaskClient:
    """`name` signs in with the password someone else set: every staff page, and the API for
    the browser's session, sends them to choose their own first; then the pages open."""
    client = floor.test_client()
    assert sign_in(client, name, password).status_code == 302
    for url in (first_page, "/office/", "/agent/dossiers", "/office/dossiers"):
        r = client.get(url)
        assert r.status_code == 302 and r.headers["Location"].startswith("/office/password"), url
    api = client.get("/api/v1/dossiers", headers={"X-CSRFToken": csrf(client, "/office/password")})
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "password_change_required"
    valid(api.get_json(), "/dossiers", "get", 403)
    forced = text(client.get("/office/password"))
    assert "do người khác đặt" in forced
    assert change_password(client, password, f"{name}-cua-rieng-2026").status_code == 303
    assert client.get(first_page).status_code == 200
    return client


def test_a_password_set_by_someone_else_is_changed_at_first_sign_in(
    floor: Flask, db_session: Session
) -> None:
    from .test_agent_branch import admin, supervisor

    # By the command line.
    made = floor.test_cli_runner().invoke(
        args=["users", "create", "canbo7", "--role", "officer"], input="mat-khau-dai-7\n"
    )
    assert made.exit_code == 0, made.output
    _must_change_first(floor, "canbo7", "mat-khau-dai-7", "/office/")
    # By a supervisor, for an agent of the branch.
    boss = supervisor(floor, db_session)
    token = csrf(boss, "/agent/team")
    agent = {"username": "dl-7", "full_name": "Đại lý 7", "password": "mat-khau-dai-7"}
    assert boss.post("/agent/team", data={**agent, "csrf_token": token}).status_code == 303
    # A bearer token acting as the account is another system's: it is not asked.
    bearer = {"Authorization": f"Bearer {token_for(floor, 'dl-7')}"}
    assert floor.test_client().get("/api/v1/dossiers", headers=bearer).status_code == 200
    _must_change_first(floor, "dl-7", "mat-khau-dai-7", "/agent/dossiers")
    # By the admin, in the office's page for branches.
    office = admin(floor, db_session)
    office.post("/office/branches", data={"csrf_token": csrf(office, "/office/branches"),
                "what": "user", "branch": "BIDV-GL", "role": "agent", "username": "dl-8",
                "full_name": "Đại lý 8", "password": "mat-khau-dai-8"})  # fmt: skip
    _must_change_first(floor, "dl-8", "mat-khau-dai-8", "/agent/dossiers")
    # Reset from the command line: the sessions end, and the owner chooses again.
    old = floor.test_client()
    sign_in(old, "canbo", "mat-khau-dai-1")
    reset = floor.test_cli_runner().invoke(args=["users", "password", "canbo"],
                                           input="tam-thoi-2026\n")  # fmt: skip
    assert reset.exit_code == 0, reset.output
    assert old.get("/office/").headers["Location"].startswith("/office/login")
    _must_change_first(floor, "canbo", "tam-thoi-2026", "/office/")
    actions = [e.action for e in db_session.scalars(select(AuditEntry))]
    assert "user.password_reset" in actions and actions.count("user.password") == 4


def test_the_demo_and_the_tests_accounts_are_not_asked_to_change(floor: Flask) -> None:
    """Made by `create_user` without the flag (the demo's, whose passwords are published and
    which production refuses; the tests'): they sign in straight to their work."""
    client = floor.test_client()
    sign_in(client, "canbo", "mat-khau-dai-1")
    assert client.get("/office/").status_code == 200


# --- hole 10: `next` stays on the site ----------------------------------------------------------

BAD_NEXT = [
    "/%09/evil.example",  # a tab: browsers drop it and read //evil.example
    "/%0A/evil.example",
    "/%0D%0ALocation:%20http://evil.example",
    "//evil.example",
    "/%5Cevil.example",  # a backslash is a slash to a browser
    "%5C%5Cevil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/%20/evil.example",
    "/%7F",
    "%00",
]


@pytest.mark.parametrize("target", BAD_NEXT)
def test_next_goes_home_unless_it_is_a_path_of_this_site(api: FlaskClient, target: str) -> None:
    r = api.get(f"/lang/vi?next={target}")
    assert r.status_code in (302, 400) and r.headers.get("Location", "/kiosk/") == "/kiosk/"
    token = csrf(api, "/office/login")
    canbo = {"username": "canbo", "password": "mat-khau-dai-1", "csrf_token": token}
    r = api.post(f"/office/login?next={target}", data=canbo)
    assert r.status_code in (302, 400) and r.headers.get("Location", "/office/") == "/office/"


def test_next_keeps_a_path_of_this_site(api: FlaskClient) -> None:
    r = api.get("/lang/en?next=/office/reports%3Ffrom%3D2026-10-01")
    assert r.headers["Location"] == "/office/reports?from=2026-10-01"
    token = csrf(api, "/office/login")
    canbo = {"username": "canbo", "password": "mat-khau-dai-1", "csrf_token": token}
    r = api.post("/office/login?next=/office/dossiers", data=canbo)
    assert r.headers["Location"] == "/office/dossiers"


# --- hole 13, the first: a stranger cannot lock the owner out -----------------------------------


def _from(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_elsewhere(floor: Flask) -> None:
    stranger = _from(floor, "203.0.113.9")
    for _ in range(accounts.MAX_FAILURES + 3):
        sign_in(stranger, "canbo", "doan-mo-mat-khau")
    locked = sign_in(stranger, "canbo", "mat-khau-dai-1")
    assert locked.status_code == 401 and "quá nhiều lần" in text(locked)
    owner = _from(floor, "10.0.0.21")
    assert sign_in(owner, "canbo", "mat-khau-dai-1").status_code == 302


def test_one_address_guessing_across_names_is_braked(floor: Flask, db_session: Session) -> None:
    names = [f"ten-{i}" for i in range(accounts.MAX_ADDRESS_FAILURES)]
    for name in names:
        with pytest.raises(IdentityError, match="không đúng"):
            authenticate(db_session, name, "mat-khau-thu", "203.0.113.7")
    with pytest.raises(IdentityError, match="quá nhiều lần"):
        authenticate(db_session, "canbo", "mat-khau-dai-1", "203.0.113.7")
    assert authenticate(db_session, "canbo", "mat-khau-dai-1", "10.0.0.21").username == "canbo"


def test_the_session_cookie_carries_no_password_material(floor: Flask) -> None:
    client = floor.test_client()
    sign_in(client, "canbo", "mat-khau-dai-1")
    with client.session_transaction() as s:
        assert set(s) >= {"user_id", "epoch"} and "pw" not in s


def test_refusals_are_explained_in_vietnamese_on_every_surface(floor: Flask) -> None:
    """A page an agent may not open, and a form posted without its token, answer with the
    site's own page in Vietnamese, not the framework's English one."""
    agent = floor.test_client()
    sign_in(agent, "daily", "mat-khau-dai-3")
    refused = agent.get("/agent/reports")
    assert refused.status_code == 403
    assert "không có quyền mở trang này" in text(refused) and "Forbidden" not in text(refused)
    stale = floor.test_client().post("/kiosk/queue", data={"service": "1"})
    assert stale.status_code == 400
    assert "Biểu mẫu đã hết hạn" in text(stale) and "Bad Request" not in text(stale)
