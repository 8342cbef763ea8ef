"""The kiosk's comfort settings a citizen turns on by one tap: large text with high contrast.

Kept in the session until the idle reset (`auth.forget_citizen` clears it with the rest), so
the next citizen starts with the ordinary screen.
"""

from __future__ import annotations

from flask import redirect, request, session
from werkzeug.wrappers import Response as WerkzeugResponse

from ..web import safe_next
from . import bp

#: Session key: large text and high contrast (chữ to, tương phản cao).
EASY_READ = "easy_read"


def easy_read_on() -> bool:
    """Whether this citizen asked for large text and high contrast."""
    return bool(session.get(EASY_READ))


@bp.post("/easy-read")
def easy_read() -> WerkzeugResponse:
    """Turn large text and high contrast on or off, back to the page the button was on."""
    session[EASY_READ] = not easy_read_on()
    return redirect(safe_next(request.form.get("next")))
