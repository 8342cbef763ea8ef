"""Bank branches and their people (issue 11, the first part): branches and agent accounts by
command, the TOTP second factor for supervisors and admins with its enrolment QR shown once,
the same brake on wrong codes as on wrong passwords, and sessions that end when left unused."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain.accounts import IdentityError, create_user
from kiosk.domain.accounts.branches import BranchError, create_branch
from kiosk.models import User

from .conftest import csrf, sign_in


def text(r: Any) -> str:
    return str(r.get_data(as_text=True))


def test_branches_and_agents_by_command(floor: Flask, db_session: Session) -> None:
    runner = floor.test_cli_runner()
    made = runner.invoke(args=["branches", "create", "bidv-gl01", "--bank", "BIDV", "--name",
                               "BIDV Chi nhánh Gia Lai", "--commune", "21583"])  # fmt: skip
    assert made.exit_code == 0, made.output
    for args, message in (
        (["branches", "create", "BIDV-GL01", "--bank", "BIDV", "--name", "x"], "đã có"),
        (["branches", "create", "X1", "--bank", "NOBANK", "--name", "x"], "NAPAS"),
        (["branches", "create", "X2", "--bank", "BIDV", "--name", "x", "--commune", "99999"],
         "danh mục"),
        (["branches", "create", "x;rm", "--bank", "BIDV", "--name", "x"], "Mã chi nhánh"),
    ):  # fmt: skip
        bad = runner.invoke(args=args)
        assert bad.exit_code != 0 and message in bad.output, bad.output
    ok = runner.invoke(args=["users", "create", "daily1", "--role", "agent", "--branch",
                             "BIDV-GL01"], input="mat-khau-dai-9\n")  # fmt: skip
    assert ok.exit_code == 0, ok.output
    agent = db_session.scalar(select(User).where(User.username == "daily1"))
    assert agent is not None and agent.branch_code == "BIDV-GL01"
    for args, message in (
        (["users", "create", "daily2", "--role", "agent"], "cần chi nhánh"),
        (["users", "create", "daily3", "--role", "supervisor", "--branch", "NONE"],
         "Không có chi nhánh NONE"),
        (["users", "create", "canbo9", "--role", "officer", "--branch", "BIDV-GL01"],
         "Chỉ tài khoản đại lý"),
    ):  # fmt: skip
        bad = runner.invoke(args=args, input="mat-khau-dai-9\n")
        assert bad.exit_code != 0 and message in bad.output, bad.output


def _branch_and_supervisor(db_session: Session) -> User:
    create_branch(db_session, "AGR-GL", bank="AGRIBANK", name="Agribank Gia Lai")
    return create_user(db_session, "kiemsoat", "mat-khau-dai-8", "supervisor", "Phạm Thị Lan",
                       branch_code="AGR-GL")  # fmt: skip


def _password_step(api: FlaskClient) -> Any:
    token = csrf(api, "/office/login")
    return api.post("/office/login", data={"username": "kiemsoat", "password": "mat-khau-dai-8",
                                           "csrf_token": token})  # fmt: skip


def test_a_supervisor_enrols_a_second_factor_once_then_needs_it(
    floor: Flask, api: FlaskClient, db_session: Session
) -> None:
    _branch_and_supervisor(db_session)
    r = _password_step(api)
    assert r.status_code == 302 and "/office/login/totp" in r.headers["Location"]
    # Not signed in yet: a staff page still asks to sign in.
    assert api.get("/office/dossiers").status_code == 302
    page = text(api.get("/office/login/totp"))
    assert "<svg" in page and "chỉ hiện một lần" in page
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)  # type: ignore[union-attr]
    # Shown once: coming back makes a new secret, and the first one no longer works.
    again = text(api.get("/office/login/totp"))
    secret2 = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', again).group(1)  # type: ignore[union-attr]
    assert secret2 != secret
    token = csrf(api, "/office/login")
    wrong = api.post("/office/login/totp", data={"csrf_token": token,
                                                 "code": pyotp.TOTP(secret).now()})  # fmt: skip
    assert wrong.status_code == 401 and "không đúng" in text(wrong)
    assert "<svg" not in text(wrong)  # a failed try does not show the QR again
    first = pyotp.TOTP(secret2).now()
    ok = api.post("/office/login/totp", data={"csrf_token": token, "code": first})
    assert ok.status_code == 302
    user = db_session.scalar(select(User).where(User.username == "kiemsoat"))
    db_session.refresh(user)
    assert user is not None and user.totp_enabled
    # Next time: the code, and no QR.
    api.post("/office/logout", data={"csrf_token": csrf(api, "/office/login")})
    _password_step(api)
    step = text(api.get("/office/login/totp"))
    assert "<svg" not in step and "Nhập mã 6 số" in step
    token = csrf(api, "/office/login")
    # A code is good once: the one that enrolled does not sign in again; the next one does.
    replay = api.post("/office/login/totp", data={"csrf_token": token, "code": first})
    assert replay.status_code == 401 and "đã được dùng" in text(replay)
    following = pyotp.TOTP(secret2).at(time.time() + 30)
    assert api.post("/office/login/totp", data={"csrf_token": token,
                    "code": following}).status_code == 302  # fmt: skip


def test_wrong_codes_brake_like_wrong_passwords(api: FlaskClient, db_session: Session) -> None:
    user = _branch_and_supervisor(db_session)
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled = True
    db_session.commit()
    _password_step(api)
    token = csrf(api, "/office/login")
    for _ in range(5):
        api.post("/office/login/totp", data={"csrf_token": token, "code": "000000"})
    right = pyotp.TOTP(user.totp_secret).now()
    locked = api.post("/office/login/totp", data={"csrf_token": token, "code": right})
    assert locked.status_code == 401 and "quá nhiều lần" in text(locked)


def test_the_second_step_expires_and_cannot_be_skipped(
    api: FlaskClient, db_session: Session
) -> None:
    _branch_and_supervisor(db_session)
    assert api.get("/office/login/totp").status_code == 302  # no password given
    _password_step(api)
    with api.session_transaction() as s:
        s["totp_at"] = int(time.time()) - 301
    assert api.get("/office/login/totp").headers["Location"].startswith("/office/login")


def test_an_unused_session_ends_for_branch_staff_but_not_at_a_counter(
    floor: Flask, api: FlaskClient, db_session: Session
) -> None:
    create_branch(db_session, "BIDV-X", bank="BIDV", name="BIDV X")
    create_user(db_session, "daily9", "mat-khau-dai-9", "agent", "Đại lý", branch_code="BIDV-X")
    sign_in(api, "daily9", "mat-khau-dai-9")
    with api.session_transaction() as s:
        assert "user_id" in s
        s["seen"] = int(time.time()) - 31 * 60
    api.get("/office/")
    with api.session_transaction() as s:
        assert "user_id" not in s
    # A counter officer idle as long stays signed in.
    officer = floor.test_client()
    sign_in(officer, "canbo", "mat-khau-dai-1")
    with officer.session_transaction() as s:
        s["seen"] = int(time.time()) - 3 * 3600
    assert officer.get("/office/").status_code == 200


def test_create_user_checks_the_branch(db_session: Session, floor: Flask) -> None:
    with pytest.raises(IdentityError):
        create_user(db_session, "a1", "mat-khau-dai-9", "agent")
    with pytest.raises(BranchError):
        create_branch(db_session, "B", bank="BIDV", name="x")


def test_signing_in_lands_each_account_on_its_own_work(floor: Flask, db_session: Session) -> None:
    """/office/ (where signing in lands without a `next`) sends an agent to the branch's
    dossiers, a processing officer to the worklist, a counter officer to the counters; it
    once answered an agent 403."""
    create_user(db_session, "xuly", "mat-khau-dai-9", "processor", "Xử lý")
    for name, password, target in (("daily", "mat-khau-dai-3", "/agent/dossiers"),
                                   ("xuly", "mat-khau-dai-9", "/office/dossiers")):  # fmt: skip
        client = floor.test_client()
        landed = sign_in(client, name, password)
        assert landed.headers["Location"] == "/office/"
        r = client.get("/office/")
        assert r.status_code == 302 and r.headers["Location"] == target, name
    officer = floor.test_client()
    sign_in(officer, "canbo", "mat-khau-dai-1")
    assert officer.get("/office/").status_code == 200
    assert floor.test_client().get("/office/").headers["Location"] == "/office/login"
