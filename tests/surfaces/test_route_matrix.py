"""The route x role matrix: for every route of the URL map (every rule, every method but HEAD
and OPTIONS), what each kind of person gets. A new route fails `test_every_route_is_in_the_table`
until it is added to `MATRIX` with its answers; an answer that changes fails `test_answer`.

The roles are the demo accounts of `kiosk demo` (and an admin), each signed in once per
engine, with the second factor for the supervisor and the admin:

    anonymous   nobody signed in
    kiosk       a citizen at a kiosk: anonymous, with the kiosk station cookie
    canbo       counter officer            xuly      processing officer
    quanly      manager (whole center)     sotuphap  manager of one unit (Sở Tư pháp)
    daily       BIDV's agent               daily-agr Agribank's agent (another branch)
    kiemsoat    BIDV's supervisor (TOTP)   admin     the administrator (TOTP)

An answer is a status, or `login` for a 302 to the sign-in page (any other 302/303 must not go
there). Forms are posted with the asker's own CSRF token (`test_forms_need_their_csrf_token`
checks that without it every form answers 400), with fields chosen so that an allowed write
is refused on its content or is harmless: the table is about who gets in, not what a form
does (each surface's own tests do that). The few writes that do act (the API's call-next calls
the ticket the world issued, for the first role allowed) make later cells depend on earlier
ones: the table is asked in its order, in one module run.

Records named in a URL belong to BIDV's branch (a dossier its agent filed, the cash paid for
it, its agent's upload and account, the receipt's print job), so that
`test_another_branch_reads_as_missing` can check, for every route naming one, that Agribank's
agent gets exactly the answer of an id that does not exist (status and body, CSRF tokens
blanked and the id itself replaced) and that a write changes nothing.

`KNOWN_HOLES` lists the answers that differ from the table today because of a hole of issue 17
being fixed elsewhere; each is an expected failure (strict: once fixed, it must leave the set).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from kiosk import create_app
from kiosk.domain.accounts import create_token, create_user
from kiosk.domain.dossiers import uploads
from kiosk.models import Dossier, KioskStation, Payment, PrintJob, Upload
from tests.builders import empty_pg, file_as, page_text, sample_pdf, upload_as

ROLES = (
    "anonymous", "kiosk", "canbo", "xuly", "quanly", "sotuphap", "daily", "daily-agr",
    "kiemsoat", "admin",
)  # fmt: skip
PASSWORDS = {
    "canbo": "canbo-demo-2026", "xuly": "xuly-demo-2026", "quanly": "quanly-demo-2026",
    "sotuphap": "sotuphap-demo-2026", "daily": "daily-demo-2026",
    "daily-agr": "daily-agr-demo-2026", "kiemsoat": "kiemsoat-demo-2026",
    "admin": "quan-tri-demo-2026",
}  # fmt: skip
TOTP = {"kiemsoat", "admin"}
#: The table's column heads.
COLUMNS = {
    "anon": "anonymous", "kiosk": "kiosk", "canbo": "canbo", "xuly": "xuly", "qly": "quanly",
    "stp": "sotuphap", "daily": "daily", "agr": "daily-agr", "ks": "kiemsoat", "admin": "admin",
}  # fmt: skip
LOGIN = "/office/login"


@dataclass(frozen=True)
class Ask:
    """How a route is asked: the URL with {placeholders} for the records, and the body."""

    url: str
    form: dict[str, str] | None = None
    json: Any = None
    upload: bool = False  # a multipart form with a real PDF as `file`
    stream: bool = False  # an event stream: the status only, the body is never read


#: How each route is asked, where the rule alone does not say (records, query, form, body).
HOW: dict[tuple[str, str], Ask] = {
    ("GET", "/lang/<code>"): Ask("/lang/vi?next=/kiosk/"),
    ("GET", "/static/<path:filename>"): Ask("/static/favicon.svg"),
    ("GET", "/kiosk/search"): Ask("/kiosk/search?q=ly+lich+tu+phap"),
    ("GET", "/kiosk/procedures/<code>"): Ask("/kiosk/procedures/{procedure}"),
    ("POST", "/kiosk/queue"): Ask("/kiosk/queue", form={"service": ""}),
    ("GET", "/kiosk/queue/<token>"): Ask("/kiosk/queue/{ticket}"),
    ("GET", "/kiosk/station/<code>"): Ask("/kiosk/station/{station}"),
    ("GET", "/kiosk/file/<code>"): Ask("/kiosk/file/{procedure}"),
    ("POST", "/kiosk/file/<code>"): Ask("/kiosk/file/{procedure}", form={}),
    ("POST", "/kiosk/file/<code>/scan"): Ask("/kiosk/file/{procedure}/scan", form={"scan": "x"}),
    ("GET", "/kiosk/file/done/<code>"): Ask("/kiosk/file/done/{dossier}"),
    ("POST", "/kiosk/uploads"): Ask("/kiosk/uploads", upload=True),
    ("GET", "/kiosk/uploads/<upload_id>/thumb"): Ask("/kiosk/uploads/{upload}/thumb"),
    ("POST", "/kiosk/status"): Ask("/kiosk/status", form={"code": "{dossier}", "verify": "0000"}),
    ("POST", "/kiosk/pay"): Ask("/kiosk/pay", form={"code": "{dossier}", "verify": "0000"}),
    ("GET", "/kiosk/pay/<reference>/status"): Ask("/kiosk/pay/{payment}/status"),
    ("GET", "/kiosk/pay/d/<code>"): Ask("/kiosk/pay/d/{dossier}"),
    ("POST", "/kiosk/easy-read"): Ask("/kiosk/easy-read", form={"next": "/kiosk/"}),
    ("POST", "/kiosk/read-aloud"): Ask("/kiosk/read-aloud", form={"next": "/kiosk/"}),
    ("GET", "/kiosk/speak"): Ask("/kiosk/speak?text=Xin+ch%C3%A0o"),
    ("GET", "/t/<token>"): Ask("/t/{ticket}"),
    ("GET", "/d/<code>"): Ask("/d/{dossier}"),
    ("POST", "/d/<code>"): Ask("/d/{dossier}", form={"verify": "0000"}),
    ("POST", "/d/<code>/rating"): Ask("/d/{dossier}/rating", form={"score": "5"}),
    ("GET", "/places/options"): Ask("/places/options?province=64"),
    ("GET", "/agent/file/<code>"): Ask("/agent/file/{procedure}"),
    ("POST", "/agent/file/<code>"): Ask("/agent/file/{procedure}", form={}),
    ("POST", "/agent/file/<code>/scan"): Ask("/agent/file/{procedure}/scan", form={"scan": "x"}),
    ("POST", "/agent/file/<code>/authorization"): Ask(
        "/agent/file/{procedure}/authorization", form={}
    ),
    ("POST", "/agent/uploads"): Ask("/agent/uploads", upload=True),
    ("GET", "/agent/uploads/<upload_id>/thumb"): Ask("/agent/uploads/{upload}/thumb"),
    ("GET", "/agent/dossiers/<code>"): Ask("/agent/dossiers/{dossier}"),
    ("GET", "/agent/dossiers/<code>/fee"): Ask("/agent/dossiers/{dossier}/fee"),
    ("GET", "/agent/dossiers/<code>/result"): Ask("/agent/dossiers/{dossier}/result"),
    ("GET", "/agent/dossiers/<code>/papers/<upload_id>"): Ask(
        "/agent/dossiers/{dossier}/papers/{paper}"
    ),
    ("POST", "/agent/dossiers/<code>/cash"): Ask(
        "/agent/dossiers/{dossier}/cash", form={"amount": ""}
    ),
    ("POST", "/agent/dossiers/<code>/vietqr"): Ask("/agent/dossiers/{dossier}/vietqr", form={}),
    ("POST", "/agent/dossiers/<code>/receipt"): Ask("/agent/dossiers/{dossier}/receipt", form={}),
    ("POST", "/agent/dossiers/<code>/hand-back"): Ask(
        "/agent/dossiers/{dossier}/hand-back", form={"receiver": ""}
    ),
    ("POST", "/agent/payments/<reference>/receipt"): Ask(
        "/agent/payments/{payment}/receipt", form={}
    ),
    ("POST", "/agent/remittances"): Ask("/agent/remittances", form={"reference": ""}),
    ("POST", "/agent/team"): Ask("/agent/team", form={"username": ""}),
    ("POST", "/agent/team/<id:user_id>/active"): Ask(
        "/agent/team/{agent}/active", form={"active": "1"}
    ),
    ("GET", "/api/v1/procedures"): Ask("/api/v1/procedures?q=ly+lich"),
    ("GET", "/api/v1/procedures/<code>"): Ask("/api/v1/procedures/{procedure}"),
    ("GET", "/api/v1/places"): Ask("/api/v1/places?province=64"),
    ("POST", "/api/v1/tickets"): Ask("/api/v1/tickets", json={}),
    ("GET", "/api/v1/tickets/<token>"): Ask("/api/v1/tickets/{ticket}"),
    ("GET", "/api/v1/queue/events"): Ask("/api/v1/queue/events", stream=True),
    ("POST", "/api/v1/counters/<id:counter_id>/call-next"): Ask(
        "/api/v1/counters/{counter}/call-next", json={}
    ),
    ("POST", "/api/v1/counters/<id:counter_id>/recall"): Ask(
        "/api/v1/counters/{counter}/recall", json={}
    ),
    ("POST", "/api/v1/counters/<id:counter_id>/no-show"): Ask(
        "/api/v1/counters/{counter}/no-show", json={}
    ),
    ("POST", "/api/v1/counters/<id:counter_id>/start"): Ask(
        "/api/v1/counters/{counter}/start", json={}
    ),
    ("POST", "/api/v1/counters/<id:counter_id>/finish"): Ask(
        "/api/v1/counters/{counter}/finish", json={}
    ),
    ("POST", "/api/v1/counters/<id:counter_id>/transfer"): Ask(
        "/api/v1/counters/{counter}/transfer", json={}
    ),
    ("POST", "/api/v1/uploads"): Ask("/api/v1/uploads", upload=True),
    ("POST", "/api/v1/dossiers"): Ask("/api/v1/dossiers", json={"procedure": "3.000333"}),
    ("GET", "/api/v1/dossiers/<code>"): Ask("/api/v1/dossiers/{dossier}"),
    ("GET", "/api/v1/dossiers/<code>/payment"): Ask(
        "/api/v1/dossiers/{dossier}/payment?verify=0000"
    ),
    ("POST", "/api/v1/dossiers/<code>/rating"): Ask(
        "/api/v1/dossiers/{dossier}/rating", json={"verify": "0000", "score": 5}
    ),
    ("POST", "/api/v1/dossiers/<code>/transitions"): Ask(
        "/api/v1/dossiers/{dossier}/transitions", json={"to": "nowhere"}
    ),
    ("POST", "/api/v1/payments/callback"): Ask("/api/v1/payments/callback", json={}),
    ("POST", "/office/login"): Ask("/office/login", form={"username": "", "password": ""}),
    ("POST", "/office/login/totp"): Ask("/office/login/totp", form={"code": ""}),
    ("GET", "/office/display/call.wav"): Ask("/office/display/call.wav?number=A001&counter=1"),
    ("GET", "/office/counters/<id:counter_id>"): Ask("/office/counters/{counter}"),
    ("POST", "/office/counters/<id:counter_id>/<action>"): Ask(
        "/office/counters/{counter}/recall", form={}
    ),
    ("GET", "/office/counters/<id:counter_id>/tablet"): Ask("/office/counters/{counter}/tablet"),
    ("POST", "/office/counters/<id:counter_id>/tablet"): Ask(
        "/office/counters/{counter}/tablet", form={"score": "5"}
    ),
    ("GET", "/office/counters/<id:counter_id>/receive"): Ask("/office/counters/{counter}/receive"),
    ("GET", "/office/counters/<id:counter_id>/receive/<code>"): Ask(
        "/office/counters/{counter}/receive/{procedure}"
    ),
    ("POST", "/office/counters/<id:counter_id>/receive/<code>"): Ask(
        "/office/counters/{counter}/receive/{procedure}", form={}
    ),
    ("POST", "/office/counters/<id:counter_id>/receive/<code>/scan"): Ask(
        "/office/counters/{counter}/receive/{procedure}/scan", form={"scan": "x"}
    ),
    ("POST", "/office/uploads"): Ask("/office/uploads", upload=True),
    ("GET", "/office/uploads/<upload_id>/thumb"): Ask("/office/uploads/{upload}/thumb"),
    ("GET", "/office/uploads/<upload_id>/file"): Ask("/office/uploads/{upload}/file"),
    ("GET", "/office/dossiers/<code>"): Ask("/office/dossiers/{dossier}"),
    ("POST", "/office/dossiers/<code>/move"): Ask(
        "/office/dossiers/{dossier}/move", form={"to": ""}
    ),
    ("POST", "/office/dossiers/<code>/hand-back"): Ask(
        "/office/dossiers/{dossier}/hand-back", form={"receiver": ""}
    ),
    ("POST", "/office/dossiers/<code>/apology"): Ask(
        "/office/dossiers/{dossier}/apology", form={"new_date": ""}
    ),
    ("POST", "/office/dossiers/<code>/cash"): Ask(
        "/office/dossiers/{dossier}/cash", form={"amount": ""}
    ),
    ("POST", "/office/payments/<reference>/refund"): Ask(
        "/office/payments/{payment}/refund", form={"reason": ""}
    ),
    ("POST", "/office/accounts"): Ask("/office/accounts", form={"number": ""}),
    ("POST", "/office/services"): Ask("/office/services", form={"code": ""}),
    ("POST", "/office/setup/counters"): Ask("/office/setup/counters", form={"number": ""}),
    ("POST", "/office/setup/sound"): Ask("/office/setup/sound", form={"volume": ""}),
    ("POST", "/office/setup/sync"): Ask("/office/setup/sync", form={"hours": ""}),
    ("POST", "/office/printers"): Ask("/office/printers", form={"code": ""}),
    ("POST", "/office/printers/jobs/<job_id>/reprint"): Ask(
        "/office/printers/jobs/{job}/reprint", form={}
    ),
    ("POST", "/office/calendar"): Ask("/office/calendar", form={"day": ""}),
    ("GET", "/office/reports/losses"): Ask("/office/reports/losses?group=progress"),
    ("POST", "/office/branches"): Ask("/office/branches", form={"what": "branch", "code": ""}),
    ("POST", "/office/logout"): Ask("/office/logout", form={}),
}

#: What each role gets: one row per rule and method, in the order they are asked (the last
#: rows end the sessions). `login`: a 302 to the sign-in page.
TABLE = """
                                                          anon  kiosk canbo xuly  qly   stp   daily agr   ks    admin
GET  /                                                    302   302   302   302   302   302   302   302   302   302
GET  /healthz                                             200   200   200   200   200   200   200   200   200   200
GET  /lang/<code>                                         302   302   302   302   302   302   302   302   302   302
GET  /static/<path:filename>                              200   200   200   200   200   200   200   200   200   200
GET  /kiosk/                                              200   200   200   200   200   200   200   200   200   200
GET  /kiosk/search                                        200   200   200   200   200   200   200   200   200   200
GET  /kiosk/fields                                        200   200   200   200   200   200   200   200   200   200
GET  /kiosk/procedures/<code>                             200   200   200   200   200   200   200   200   200   200
GET  /kiosk/queue                                         200   200   200   200   200   200   200   200   200   200
POST /kiosk/queue                                         302   302   302   302   302   302   302   302   302   302
GET  /kiosk/queue/<token>                                 200   200   200   200   200   200   200   200   200   200
GET  /kiosk/station/<code>                                302   302   302   302   302   302   302   302   302   302
GET  /kiosk/file                                          200   200   200   200   200   200   200   200   200   200
GET  /kiosk/file/<code>                                   200   200   200   200   200   200   200   200   200   200
POST /kiosk/file/<code>                                   422   422   422   422   422   422   422   422   422   422
POST /kiosk/file/<code>/scan                              200   200   200   200   200   200   200   200   200   200
GET  /kiosk/file/done/<code>                              404   404   404   404   404   404   404   404   404   404
POST /kiosk/uploads                                       201   201   201   201   201   201   201   201   201   201
GET  /kiosk/uploads/<upload_id>/thumb                     404   404   404   404   404   404   404   404   404   404
GET  /kiosk/status                                        200   200   200   200   200   200   200   200   200   200
POST /kiosk/status                                        404   404   404   404   404   404   404   404   404   404
GET  /kiosk/pay                                           200   200   200   200   200   200   200   200   200   200
POST /kiosk/pay                                           404   404   404   404   404   404   404   404   404   404
GET  /kiosk/pay/<reference>/status                        404   404   404   404   404   404   404   404   404   404
GET  /kiosk/pay/d/<code>                                  303   303   303   303   303   303   303   303   303   303
POST /kiosk/easy-read                                     302   302   302   302   302   302   302   302   302   302
POST /kiosk/read-aloud                                    302   302   302   302   302   302   302   302   302   302
GET  /kiosk/speak                                         200   200   200   200   200   200   200   200   200   200
GET  /t/                                                  302   302   302   302   302   302   302   302   302   302
GET  /t/<token>                                           200   200   200   200   200   200   200   200   200   200
GET  /d/<code>                                            200   200   200   200   200   200   200   200   200   200
POST /d/<code>                                            404   404   404   404   404   404   404   404   404   404
POST /d/<code>/rating                                     404   404   404   404   404   404   404   404   404   404
GET  /places/options                                      200   200   200   200   200   200   200   200   200   200
GET  /agent/                                              200   200   200   200   200   200   200   200   200   200
GET  /agent/file/<code>                                   login login 403   403   403   403   200   200   200   403
POST /agent/file/<code>                                   login login 403   403   403   403   422   422   422   403
POST /agent/file/<code>/scan                              login login 403   403   403   403   200   200   200   403
POST /agent/file/<code>/authorization                     login login 403   403   403   403   200   200   200   403
POST /agent/uploads                                       login login 403   403   403   403   201   201   201   403
GET  /agent/uploads/<upload_id>/thumb                     login login 404   404   404   404   200   404   404   404
GET  /agent/dossiers                                      login login 403   403   403   403   200   200   200   403
GET  /agent/dossiers/<code>                               login login 403   403   403   404   200   404   200   403
GET  /agent/dossiers/<code>/fee                           login login 403   403   403   404   200   404   200   403
GET  /agent/dossiers/<code>/result                        login login 403   403   403   404   404   404   404   403
GET  /agent/dossiers/<code>/papers/<upload_id>            login login 403   403   403   404   200   404   200   403
POST /agent/dossiers/<code>/cash                          login login 303   403   303   404   303   404   303   303
POST /agent/dossiers/<code>/vietqr                        login login 403   403   403   404   303   404   303   403
POST /agent/dossiers/<code>/receipt                       login login 403   403   403   404   303   404   303   403
POST /agent/dossiers/<code>/hand-back                     login login 303   403   303   404   303   404   303   303
POST /agent/payments/<reference>/receipt                  login login 303   403   303   404   303   404   303   303
GET  /agent/reports                                       login login 403   403   403   403   403   403   200   403
POST /agent/remittances                                   login login 403   403   403   403   403   403   303   403
GET  /agent/audit                                         login login 403   403   403   403   403   403   200   403
GET  /agent/team                                          login login 403   403   403   403   403   403   200   403
POST /agent/team                                          login login 403   403   403   403   403   403   400   403
POST /agent/team/<id:user_id>/active                      login login 404   404   404   404   403   404   303   404
GET  /api/v1/openapi.json                                 200   200   200   200   200   200   200   200   200   200
GET  /api/v1/procedures                                   200   200   200   200   200   200   200   200   200   200
GET  /api/v1/procedures/<code>                            200   200   200   200   200   200   200   200   200   200
GET  /api/v1/places                                       200   200   200   200   200   200   200   200   200   200
GET  /api/v1/services                                     200   200   200   200   200   200   200   200   200   200
GET  /api/v1/counters                                     200   200   200   200   200   200   200   200   200   200
POST /api/v1/tickets                                      400   400   400   400   400   400   400   400   400   400
GET  /api/v1/tickets/<token>                              200   200   200   200   200   200   200   200   200   200
GET  /api/v1/queue/events                                 200   200   200   200   200   200   200   200   200   200
POST /api/v1/counters/<id:counter_id>/call-next           401   401   200   403   404   403   403   403   403   404
POST /api/v1/counters/<id:counter_id>/recall              401   401   404   403   404   403   403   403   403   404
POST /api/v1/counters/<id:counter_id>/no-show             401   401   404   403   404   403   403   403   403   404
POST /api/v1/counters/<id:counter_id>/start               401   401   404   403   404   403   403   403   403   404
POST /api/v1/counters/<id:counter_id>/finish              401   401   404   403   404   403   403   403   403   404
POST /api/v1/counters/<id:counter_id>/transfer            401   401   404   403   404   403   403   403   403   404
POST /api/v1/uploads                                      201   201   201   201   201   201   201   201   201   201
POST /api/v1/dossiers                                     400   400   400   400   400   400   400   400   400   400
GET  /api/v1/dossiers                                     401   401   200   200   200   401   200   200   200   200
GET  /api/v1/dossiers/<code>                              401   401   200   200   200   401   200   404   200   200
GET  /api/v1/dossiers/<code>/payment                      404   404   404   404   404   404   404   404   404   404
POST /api/v1/dossiers/<code>/rating                       404   404   404   404   404   404   404   404   404   404
POST /api/v1/dossiers/<code>/transitions                  401   401   403   409   409   404   403   404   403   409
POST /api/v1/payments/callback                            401   401   401   401   401   401   401   401   401   401
GET  /api/v1/reports/period                               401   401   403   403   200   200   403   403   403   200
GET  /api/v1/reports/index                                401   401   403   403   200   200   403   403   403   200
GET  /api/v1/sync/status                                  401   401   403   403   200   403   403   403   403   200
GET  /office/login                                        200   200   200   200   200   200   200   200   200   200
POST /office/login                                        401   401   401   401   401   401   401   401   401   401
GET  /office/login/totp                                   login login login login login login login login login login
POST /office/login/totp                                   login login login login login login login login login login
GET  /office/                                             login login 200   302   200   302   302   302   302   200
GET  /office/display                                      200   200   200   200   200   200   200   200   200   200
GET  /office/display/call.wav                             200   200   200   200   200   200   200   200   200   200
GET  /office/counters/<id:counter_id>                     login login 200   403   200   403   403   403   403   200
POST /office/counters/<id:counter_id>/<action>            login login 302   403   302   403   403   403   403   302
GET  /office/counters/<id:counter_id>/tablet              login login 200   403   200   403   403   403   403   200
POST /office/counters/<id:counter_id>/tablet              login login 200   403   200   403   403   403   403   200
GET  /office/counters/<id:counter_id>/receive             login login 200   403   200   403   403   403   403   200
GET  /office/counters/<id:counter_id>/receive/<code>      login login 200   403   200   403   403   403   403   200
POST /office/counters/<id:counter_id>/receive/<code>      login login 422   403   422   403   403   403   403   422
POST /office/counters/<id:counter_id>/receive/<code>/scan login login 200   403   200   403   403   403   403   200
POST /office/uploads                                      login login 201   403   201   403   403   403   403   201
GET  /office/uploads/<upload_id>/thumb                    login login 200   200   200   403   403   403   403   200
GET  /office/uploads/<upload_id>/file                     login login 200   200   200   403   403   403   403   200
GET  /office/dossiers                                     login login 200   200   200   403   403   403   403   200
GET  /office/dossiers/<code>                              login login 200   200   200   403   403   403   403   200
POST /office/dossiers/<code>/move                         login login 403   303   303   403   403   403   403   303
POST /office/dossiers/<code>/hand-back                    login login 303   403   303   403   403   403   403   303
POST /office/dossiers/<code>/apology                      login login 403   303   303   403   403   403   403   303
POST /office/dossiers/<code>/cash                         login login 303   403   303   403   303   404   303   303
GET  /office/payments                                     login login 403   403   200   403   403   403   403   200
POST /office/payments/<reference>/refund                  login login 403   403   303   403   403   403   403   303
GET  /office/accounts                                     login login 403   403   200   403   403   403   403   200
POST /office/accounts                                     login login 403   403   400   403   403   403   403   400
GET  /office/services                                     login login 403   403   200   403   403   403   403   200
POST /office/services                                     login login 403   403   400   403   403   403   403   400
GET  /office/setup/counters                               login login 403   403   200   403   403   403   403   200
POST /office/setup/counters                               login login 403   403   400   403   403   403   403   400
GET  /office/setup/sound                                  login login 403   403   200   403   403   403   403   200
POST /office/setup/sound                                  login login 403   403   400   403   403   403   403   400
GET  /office/setup/sync                                   login login 403   403   200   403   403   403   403   200
POST /office/setup/sync                                   login login 403   403   400   403   403   403   403   400
GET  /office/printers                                     login login 200   403   200   403   403   403   403   200
POST /office/printers                                     login login 403   403   400   403   403   403   403   400
POST /office/printers/jobs/<job_id>/reprint               login login 302   403   302   403   403   403   403   302
GET  /office/calendar                                     login login 403   403   200   403   403   403   403   200
POST /office/calendar                                     login login 403   403   400   403   403   403   403   400
GET  /office/reports                                      login login 403   403   200   200   403   403   403   200
GET  /office/reports/losses                               login login 403   403   200   200   403   403   403   200
GET  /office/reports/print                                login login 403   403   200   200   403   403   403   200
GET  /office/branches                                     login login 403   403   403   403   403   403   403   200
POST /office/branches                                     login login 403   403   403   403   403   403   403   400
GET  /office/audit                                        login login 403   403   403   403   403   403   403   200
GET  /office/password                                     login login 200   200   200   200   200   200   200   200
POST /office/password                                     login login 400   400   400   400   400   400   400   400
GET  /kiosk/reset                                         302   302   302   302   302   302   302   302   302   302
POST /office/logout                                       login login login login login login login login login login
"""  # noqa: E501


def _parse(table: str) -> dict[tuple[str, str], dict[str, str]]:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert [COLUMNS[h] for h in header] == list(ROLES), header
    out: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        assert len(row) == 2 + len(ROLES), row
        assert (row[0], row[1]) not in out, row
        out[(row[0], row[1])] = dict(zip(ROLES, row[2:], strict=True))
    return out


MATRIX = _parse(TABLE)


def how(method: str, rule: str) -> Ask:
    return HOW.get((method, rule)) or Ask(rule)


#: Answers that differ from the table today because of a hole of issue 17 fixed on another
#: branch: (method, rule, role) -> the hole. Each is an expected failure until that fix is
#: merged; then it passes, which fails (strict), and the entry must go.
KNOWN_HOLES: dict[tuple[str, str, str], str] = {}
ANOTHER_BRANCH = "another branch"

#: Placeholders naming a record of BIDV's branch, and an id of the same shape that does not
#: exist (filled in by `world`).
BRANCH_OWNED = ("dossier", "payment", "upload", "agent", "job", "paper")


# ---------------------------------------------------------------------------------- the world


@dataclass
class World:
    app: Flask
    clients: dict[str, FlaskClient]
    ids: dict[str, str]
    missing: dict[str, str]
    signed_out: set[str] = field(default_factory=set)


def _sign_in(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    r = client.post(LOGIN, data={"username": name, "password": PASSWORDS[name],
                                 "csrf_token": _csrf(app, client)})  # fmt: skip
    assert r.status_code == 302, (name, r.status_code)
    if name in TOTP:
        page = client.get("/office/login/totp").get_data(as_text=True)
        secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page)
        assert secret, page
        r = client.post("/office/login/totp", data={"code": pyotp.TOTP(secret.group(1)).now(),
                                                    "csrf_token": _csrf(app, client)})  # fmt: skip
        assert r.status_code == 302 and LOGIN not in r.headers["Location"], name
    return client


def _csrf(app: Flask, client: FlaskClient) -> str:
    """The client's CSRF token, as Flask-WTF makes it (the raw value kept in its session)."""
    with client.session_transaction() as sess:
        raw = sess.get("csrf_token")
        if not raw:
            raw = sess["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def _world(db_url: str, instance: Path) -> World:
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": db_url,
            "SECRET_KEY": "matrix-test-secret-key-long-enough-0123456789",
            "PUBLIC_URL": "http://kiosk.test",
            # The matrix asks the citizen's look-ups many times from one address.
            "STATUS_LOOKUPS_PER_MINUTE": 1_000_000,
        }
    )
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    s = app.extensions["kiosk.sessionmaker"]()
    create_user(s, "admin", PASSWORDS["admin"], "admin", "Quản trị")
    # Another agent of BIDV's, whose account the table's lock/unlock names.
    peer = create_user(s, "daily-2", "daily-2-demo-2026", "agent", "Lò Văn Sơn", "BIDV-GL")
    s.add(KioskStation(code="KIOSK1", name="Kiosk sảnh"))
    s.commit()
    bidv = {"Authorization": f"Bearer {create_token(s, 'daily')}"}
    clients = {name: _sign_in(app, name) for name in PASSWORDS}
    api = app.test_client()
    # The collecting account, so that the fee can be paid.
    manager = clients["quanly"]
    r = manager.post("/office/accounts", data={
        "agency": app.config["SITE_CODE"], "bank_bin": "970418", "number": "1234567890",
        "holder": "Trung tam PVHCC", "csrf_token": _csrf(app, manager)})  # fmt: skip
    assert r.status_code == 303, r.get_data(as_text=True)
    # BIDV's dossier, its fee paid in cash at BIDV's desk, and an upload not yet filed.
    filed = file_as(api, bidv, upload_as(api, bidv))
    assert filed.status_code == 201, filed.get_json()
    code = filed.get_json()["code"]
    agent = clients["daily"]
    r = agent.post(f"/agent/dossiers/{code}/cash", data={
        "amount": str(filed.get_json()["fee"]), "csrf_token": _csrf(app, agent)})  # fmt: skip
    assert r.status_code == 303
    payment = s.scalar(select(Payment).where(Payment.method == "cash"))
    assert payment is not None and payment.status == "paid"
    loose = upload_as(api, bidv)
    paper = s.scalar(
        select(Upload.id).join(Dossier, Dossier.id == Upload.dossier_id)
        .where(Dossier.code == code, Upload.document_name.not_in(uploads.NOT_PAPERS))
        .limit(1)
    )  # fmt: skip
    assert paper is not None
    job = s.scalar(select(PrintJob).where(PrintJob.kind == "cash"))  # BIDV's cash receipt
    assert job is not None
    ticket = api.post("/api/v1/tickets", json={"service": "HOTICH"})
    assert ticket.status_code == 201, ticket.get_json()
    kiosk = app.test_client()
    assert kiosk.get("/kiosk/station/KIOSK1").status_code == 302
    clients["kiosk"] = kiosk
    clients["anonymous"] = app.test_client()
    ids = {
        "dossier": code, "payment": payment.reference, "upload": loose, "agent": str(peer.id),
        "job": job.id, "counter": "1", "procedure": "3.000333", "ticket": ticket.get_json()[
            "token"], "station": "KIOSK1", "paper": paper,
    }  # fmt: skip
    missing = {
        "dossier": "000.00.01.H29-200101-9999",
        "payment": _missing_like(payment.reference),
        "upload": _missing_like(loose),
        "agent": "999999",
        "job": _missing_like(job.id),
        "paper": _missing_like(paper),
    }
    s.close()
    return World(app, clients, ids, missing)


def _missing_like(value: str) -> str:
    """An id of the same shape as `value` (letters and digits swapped for others)."""
    return re.sub(r"[0-9]", "7", re.sub(r"[a-zA-Z]", lambda m: "f" if m.group().islower()
                                        else "F", value))  # fmt: skip


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql",
                marks=pytest.mark.postgres)])  # fmt: skip
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        World]:  # fmt: skip
    tmp = tmp_path_factory.mktemp("matrix")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'kiosk.db'}"
    else:
        url = request.getfixturevalue("pg_database")
        empty_pg(url)
    w = _world(url, tmp / "instance")
    yield w
    hub = w.app.extensions.get("kiosk.hub")
    if hub is not None:
        hub.stop()
    w.app.extensions["kiosk.engine"].dispose()


# ---------------------------------------------------------------------------------- asking


def _url(ask: Ask, ids: dict[str, str]) -> str:
    return ask.url.format(**ids)


def ask(w: World, role: str, method: str, ask: Ask, ids: dict[str, str], *,
        csrf: bool = True) -> Any:  # fmt: skip
    """`role` asks the route as `ask` says, with the records `ids`."""
    client = w.clients[role]
    url = _url(ask, ids)
    if method == "GET":
        if ask.stream:
            r = client.get(url, buffered=False)
            r.close()
            return r
        r = client.get(url)
        r.get_data()  # read, then closed: a file sent (an upload, a static file) is let go
        r.close()
        return r
    headers = {}
    data: dict[str, Any] = {k: v.format(**ids) for k, v in (ask.form or {}).items()}
    if csrf:
        token = _csrf(w.app, client)
        headers["X-CSRFToken"] = token
        if ask.json is None:
            data["csrf_token"] = token
    if ask.json is not None:
        return client.post(url, json=ask.json, headers=headers)
    if ask.upload:
        data["file"] = (io.BytesIO(sample_pdf()), "giay-to.pdf")
        return client.post(url, data=data, headers=headers, content_type="multipart/form-data")
    return client.post(url, data=data, headers=headers)


def answer_of(r: Any) -> str:
    """A response as the table writes it."""
    if r.status_code in (301, 302, 303, 307, 308):
        location = r.headers.get("Location", "")
        if re.match(r"^(https?://[^/]+)?/office/login(\?|$)", location):
            return "login" if r.status_code == 302 else f"{r.status_code}-login"
    return str(r.status_code)


def _cases() -> list[Any]:
    out = []
    for (method, rule), answers in MATRIX.items():
        for role, expected in answers.items():
            marks = _xfail_if_hole(method, rule, role)
            out.append(pytest.param(method, rule, role, expected, marks=marks,
                                    id=f"{method} {rule} {role}"))  # fmt: skip
    return out


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def _branch_owned(a: Ask) -> list[str]:
    """The placeholders of BIDV's records that `a` names (in its URL or its form)."""
    named = a.url + " ".join((a.form or {}).values())
    return [p for p in BRANCH_OWNED if "{" + p + "}" in named]


# ---------------------------------------------------------------------------------- the tests


def test_every_route_is_in_the_table(tmp_path: Path) -> None:
    """Each rule and method of the URL map has its row, and each row a route: a new route
    fails here until its answers for every role are written down."""
    url = f"sqlite:///{tmp_path / 'k.db'}"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url,
                      "SECRET_KEY": "x"})  # fmt: skip
    try:
        routes = _routes(app)
    finally:
        app.extensions["kiosk.engine"].dispose()
    missing = sorted(routes - MATRIX.keys())
    assert not missing, f"routes the matrix does not name (add them to MATRIX): {missing}"
    stale = sorted(MATRIX.keys() - routes)
    assert not stale, f"rows of MATRIX for routes that no longer exist: {stale}"
    assert not {(m, r) for m, r, _role in KNOWN_HOLES} - MATRIX.keys()
    assert {role for _m, _r, role in KNOWN_HOLES} <= {*ROLES, ANOTHER_BRANCH}


def _snapshot(w: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, but the audit log's refused look-ups (an agent trying codes
    is logged under their own branch, whatever the code) and the rate limits' counters."""
    engine = w.app.extensions["kiosk.engine"]
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in sorted(sa_inspect(engine).get_table_names()):
            if table in ("rate_hit", "alembic_version", "login_failure"):
                continue
            where = " WHERE outcome <> 'not_found'" if table == "audit_log" else ""
            rows = conn.execute(text(f'SELECT * FROM "{table}"{where}')).all()
            out[table] = sorted(tuple(map(repr, r)) for r in rows)
    return out


def _clear_flashes(client: FlaskClient) -> None:
    with client.session_transaction() as sess:
        sess.pop("_flashes", None)


def _normal(r: Any, value: str) -> tuple[int, str]:
    """Status and body, CSRF tokens blanked and the asked id itself replaced."""
    return r.status_code, page_text(r).replace(value, "<id>")


def _xfail_if_hole(method: str, rule: str, role: str) -> list[Any]:
    hole = KNOWN_HOLES.get((method, rule, role))
    return [pytest.mark.xfail(reason=hole, strict=True)] if hole else []


CROSS = [
    pytest.param(
        method, rule, id=f"{method} {rule}", marks=_xfail_if_hole(method, rule, ANOTHER_BRANCH)
    )  # fmt: skip
    for (method, rule) in MATRIX
    if _branch_owned(how(method, rule))
]


@pytest.mark.parametrize(("method", "rule"), CROSS)
def test_another_branch_reads_as_missing(world: World, method: str, rule: str) -> None:
    """Agribank's agent asking for a record of BIDV's gets exactly what an id that does not
    exist gets, and a write changes nothing."""
    a = how(method, rule)
    for name in _branch_owned(a):
        theirs = {**world.ids}
        nothing = {**world.ids, name: world.missing[name]}
        client = world.clients["daily-agr"]
        before = _snapshot(world) if method != "GET" else None
        _clear_flashes(client)
        got = ask(world, "daily-agr", method, a, theirs)
        _clear_flashes(client)
        none = ask(world, "daily-agr", method, a, nothing)
        assert _normal(got, world.ids[name]) == _normal(none, world.missing[name]), name
        if before is not None:
            assert _snapshot(world) == before, f"{method} {rule} changed something"


FORMS = [
    pytest.param(method, rule, id=f"{method} {rule}")
    for (method, rule) in MATRIX
    if method == "POST" and not rule.startswith("/api/")
]


@pytest.mark.parametrize(("method", "rule"), FORMS)
def test_forms_need_their_csrf_token(world: World, method: str, rule: str) -> None:
    """Every form of every surface, posted without the asker's CSRF token, answers 400 to
    everyone (the JSON API, for bearer tokens, is exempt: `test_api_writes_by_a_session_...`)."""
    a = how(method, rule)
    got = {role: ask(world, role, method, a, world.ids, csrf=False).status_code
           for role in ROLES}  # fmt: skip
    assert got == dict.fromkeys(ROLES, 400)


#: The API's writes that act as the signed-in person: a session (a browser) must send its
#: CSRF token in X-CSRFToken. The others act for nobody (a ticket, an upload, a dossier filed
#: by a citizen, a rating proved by the citizen's digits, a bank's signed notification).
SESSION_WRITES = [
    (m, r) for (m, r) in MATRIX if m == "POST" and r.startswith("/api/v1/counters/")
] + [("POST", "/api/v1/dossiers/<code>/transitions")]


@pytest.mark.parametrize(("method", "rule"), SESSION_WRITES)
def test_api_writes_by_a_session_need_the_csrf_header(world: World, method: str,
                                                       rule: str) -> None:  # fmt: skip
    a = how(method, rule)
    for role in ("canbo", "quanly", "daily"):
        r = ask(world, role, method, a, world.ids, csrf=False)
        assert (r.status_code, r.get_json()["error"]["code"]) == (400, "csrf"), role


@pytest.mark.parametrize(("method", "rule", "role", "expected"), _cases())
def test_answer(world: World, method: str, rule: str, role: str, expected: str) -> None:
    """What `role` gets from the route, as the table says (last in this module: its last row
    signs everyone out)."""
    got = answer_of(ask(world, role, method, how(method, rule), world.ids))
    assert got == expected, f"{role} {method} {rule}: {got}, the table says {expected}"
