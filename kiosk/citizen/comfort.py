"""What a citizen turns on by one tap at the kiosk: large text with high contrast, and reading
aloud (*Nghe*), with the audio it plays.

Both are kept in the session until the idle reset (`auth.forget_citizen` clears them with the
rest), so the next citizen starts with the ordinary, silent screen.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, redirect, request, session
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import speech
from ..domain.accounts import throttle
from ..view_helpers import db, safe_next
from . import bp

#: Session key: large text and high contrast (chữ to, tương phản cao).
EASY_READ = "easy_read"
#: Session key: read each screen aloud (Nghe).
READ_ALOUD = "read_aloud"


def easy_read_on() -> bool:
    """Whether this citizen asked for large text and high contrast."""
    return bool(session.get(EASY_READ))


@bp.post("/easy-read")
def easy_read() -> WerkzeugResponse:
    """Turn large text and high contrast on or off, back to the page the button was on."""
    session[EASY_READ] = not easy_read_on()
    return redirect(safe_next(request.form.get("next")))


def read_aloud_on() -> bool:
    """Whether this citizen turned reading aloud on."""
    return bool(session.get(READ_ALOUD))


@bp.post("/read-aloud")
def read_aloud() -> WerkzeugResponse:
    """Turn reading aloud on or off (the page's script then reads the screen it is on)."""
    session[READ_ALOUD] = not read_aloud_on()
    return redirect(safe_next(request.form.get("next")))


@bp.get("/speak")
def speak() -> Response:
    """`text` spoken in Vietnamese as a WAV file, made by eSpeak NG on this machine once and
    then served from the cache folder `instance/speech/`. A text not yet in the cache counts
    against the address's `SPEECH_PER_MINUTE` (eSpeak NG's work); past it, 429 with a plain
    Vietnamese message and `Retry-After`."""
    text = request.args.get("text", "")
    limit = int(current_app.config["SPEECH_PER_MINUTE"])

    def allow() -> bool:  # only a text not yet in the cache runs eSpeak NG, and counts
        return throttle.allow(db(), "speech", request.remote_addr or "?", limit)

    try:
        wav, cached = speech.speech_wav(text, Path(current_app.instance_path) / "speech", allow)
    except ValueError:
        abort(404)
    except speech.SpeechUnavailable:
        abort(503)
    except speech.SpeechRefused:
        refused = Response(
            _("Máy đọc quá nhiều câu mới trong một phút. Vui lòng chờ một phút rồi chạm "
              "“Nghe” lại; chữ vẫn hiện trên màn hình."),
            status=429, mimetype="text/plain",
        )  # fmt: skip
        refused.headers["Retry-After"] = "60"
        return refused
    resp = Response(wav, mimetype="audio/wav")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    resp.headers["X-Speech-Cache"] = "hit" if cached else "miss"
    return resp
