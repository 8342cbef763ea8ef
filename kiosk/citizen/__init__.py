"""The citizen's surface: the kiosk's touch screens (`/kiosk/`) and the public pages that a
ticket's or receipt's QR code opens on a phone (`/t/<token>`).

- `lookup.py`: home, procedure search and browsing, a procedure's page;
- `queue.py`: *Lấy số thứ tự*, the ticket screen, the kiosk station cookie;
- `public.py`: the phone pages, which need no kiosk.

Views read input, call one domain function (`kiosk.domain`), and render a template from
`templates/kiosk/` or `templates/public/`.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, session

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")
public = Blueprint("public", __name__)


def kiosk_caller() -> str:
    """This kiosk session, by a random name kept in the session (an idle reset forgets it, so
    the next citizen gets nothing of the last one's): whose uploads and idempotency keys."""
    if "uploader" not in session:
        session["uploader"] = secrets.token_urlsafe(16)
    return f"kiosk:{session['uploader']}"


from . import comfort, filing, lookup, payment, public_pages, queue  # noqa: E402,F401 - register their routes
