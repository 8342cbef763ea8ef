"""What belongs to the whole site rather than one surface: `/`, `/lang/<code>`, `/healthz`,
the error pages, the security headers, and the values every template can use."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, redirect, request, session, url_for
from flask.json.provider import DefaultJSONProvider
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response as WerkzeugResponse

from .config import is_production
from .domain import queue
from .domain.queue import TicketState
from .domain.text import N_
from .languages import Language
from .view_helpers import BadParameter, db, render, safe_next


def languages() -> tuple[Language, ...]:
    """The languages this site's screens offer (`kiosk.languages`), Vietnamese first."""
    found: tuple[Language, ...] = current_app.extensions["kiosk.languages"]
    return found


#: Blueprints whose pages belong to a signed-in person (their templates show who it is).
STAFF_SURFACES = ("office", "agent_portal")
#: Everything is served from this machine: the kiosk must never need the Internet.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'self'; "
    "base-uri 'self'; form-action 'self'"
)


def index() -> WerkzeugResponse:
    return redirect(url_for("kiosk.home"))


def set_language(code: str) -> WerkzeugResponse:
    if any(lang.code == code for lang in languages()):
        session["lang"] = code
    # Only paths on this site: never an open redirect.
    return redirect(safe_next(request.args.get("next")))


def healthz() -> dict[str, str]:
    return {"status": "ok"}


def select_locale() -> str:
    lang = session.get("lang") or request.args.get("lang")
    if isinstance(lang, str) and any(known.code == lang for known in languages()):
        return lang
    return str(current_app.config["DEFAULT_LOCALE"])


def speech_volume() -> float:
    """The loudness the manager set on the office's sound page, else `SPEECH_VOLUME`
    (percent), as an audio element's volume, 0.0-1.0."""
    stored = queue.speech_volume(db())
    try:
        percent = float(stored if stored is not None else current_app.config["SPEECH_VOLUME"])
    except (TypeError, ValueError):
        percent = 90.0
    return max(0.0, min(1.0, percent / 100))


def surface_globals() -> dict[str, Any]:
    kiosk = request.blueprint in (None, "kiosk")
    current = str(get_locale() or current_app.config["DEFAULT_LOCALE"])
    user = None
    if request.blueprint in STAFF_SURFACES:
        from .auth import current_user

        user = current_user()
    return {
        "current_locale": current,
        "languages": languages(),
        # The page's lang: `jra` for a catalog written vi@jra (`kiosk.languages`).
        "html_lang": next((lang.tag for lang in languages() if lang.code == current), current),
        # Only the kiosk resets itself; an agent's or officer's screen must not.
        "idle_seconds": int(current_app.config["IDLE_SECONDS"]) if kiosk else 0,
        "home_url": url_for("kiosk.home" if kiosk else f"{request.blueprint}.index"),
        "reset_url": url_for("kiosk.reset"),
        "staff": user,
        # The citizen's touch screen (not the phone pages, not staff): on-screen keyboard, etc.
        "kiosk_screen": request.blueprint == "kiosk",
        "easy_read": request.blueprint == "kiosk" and bool(session.get("easy_read")),
        "read_aloud": request.blueprint == "kiosk" and bool(session.get("read_aloud")),
        # Only the screens that speak ask the database for it.
        "speech_volume": speech_volume()
        if request.blueprint == "kiosk" or request.endpoint == "office.display"
        else 1.0,
    }


#: Paths that read NUL characters themselves (a bank's notification is kept as sent, refused).
_RAW_PATHS = ("/api/v1/payments/callback",)


def refuse_nul(*_args: Any) -> Any:
    """No value or path with a NUL character reaches the views: PostgreSQL cannot store one, and no
    person types one. Refused with a plain message before anything is read or stored; so is a
    multipart part without a name (Werkzeug names it None, which no reader expects). Runs
    before the CSRF check, which reads the form's names too (`kiosk.app`)."""
    if request.path in _RAW_PATHS:
        return None
    bad = "\x00" in request.path or any(
        "\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)
    )
    if not bad and request.method in ("POST", "PUT", "PATCH"):
        if request.is_json:
            raw = request.get_data(cache=True)
            bad = b"\x00" in raw or b"\\u0000" in raw.lower()
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            pairs = [*request.form.items(multi=True), *request.files.items(multi=True)]
            if any(k is None for k, _v in pairs):  # a multipart part without a name
                return _refuse("Dữ liệu gửi lên có một phần không có tên.")
            bad = any("\x00" in k or "\x00" in v for k, v in request.form.items(multi=True))
    if not bad:
        return None
    return _refuse("Dữ liệu gửi lên có ký tự không hợp lệ (NUL).")


def _refuse(message: str) -> Any:
    if request.path.startswith("/api/"):
        return api_error(400, "bad_request", message)
    return render("kiosk/error.html", code=400, message=message), 400


#: A year, the usual floor for HSTS; no includeSubDomains: a province's other sites under the
#: same domain are not this app's to decide.
HSTS = "max-age=31536000"


def security_headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    if is_production(current_app.config):  # served over HTTPS: browsers must keep to it
        resp.headers.setdefault("Strict-Transport-Security", HSTS)
    return resp


class SafeJSON(DefaultJSONProvider):
    """JSON with `<`, `>` and `&` written as escapes: a value a caller sent back in a message
    can never be read as markup, whatever a client does with the body."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def api_error(status: int, code: str, message: str) -> tuple[Response, int]:
    """The API's one error shape: `{"error": {"code", "message"}}`, the message in Vietnamese."""
    from flask import jsonify

    return jsonify({"error": {"code": code, "message": message}}), status


STAFF_PATHS = ("/office/", "/agent/")

#: Every HTTP error a page can answer with, as people read it (Vietnamese; surfaces
#: translate): a title and what to do. The staff's and the citizens' pages say the same, without
#: addressing anyone, so that no default English page of Werkzeug is ever shown.
ERRORS: dict[int, tuple[str, str]] = {
    400: (
        N_("Không nhận được yêu cầu"),
        N_("Yêu cầu gửi lên không đúng hoặc thiếu thông tin. Hãy tải lại trang rồi thử lại."),
    ),
    401: (N_("Cần đăng nhập"), N_("Trang này cần đăng nhập trước.")),
    403: (N_("Không có quyền"), N_("Tài khoản của bạn không có quyền mở trang này.")),
    404: (N_("Không tìm thấy"), N_("Không có trang với địa chỉ này.")),
    405: (
        N_("Không mở trực tiếp được"),
        N_(
            "Địa chỉ này chỉ dùng khi bấm nút trên trang (ví dụ nút in biên nhận), không mở "
            "bằng cách gõ địa chỉ hay dấu trang. Quay lại trang trước và bấm nút ở đó."
        ),
    ),
    408: (N_("Hết thời gian chờ"), N_("Yêu cầu gửi lên quá chậm. Hãy thử lại.")),
    409: (
        N_("Đã có thay đổi khác"),
        N_("Trang đã cũ so với dữ liệu hiện tại. Hãy tải lại trang rồi thử lại."),
    ),
    410: (N_("Không còn nữa"), N_("Trang hoặc tệp này không còn nữa.")),
    413: (N_("Tệp lớn quá"), N_("Tệp hoặc biểu mẫu gửi lên lớn quá giới hạn.")),
    415: (N_("Không nhận được yêu cầu"), N_("Loại dữ liệu gửi lên không được nhận.")),
    422: (N_("Không nhận được yêu cầu"), N_("Thông tin gửi lên chưa đúng, hãy xem lại.")),
    429: (
        N_("Quá nhiều lần thử"),
        N_("Đã thử quá nhiều lần trong thời gian ngắn. Hãy đợi 1 phút rồi thử lại."),
    ),
    500: (
        N_("Hệ thống đang gặp sự cố"),
        N_("Xin lỗi, có lỗi khi xử lý. Hãy thử lại sau ít phút; nếu vẫn lỗi, báo quản trị."),
    ),
    502: (N_("Hệ thống tạm ngừng phục vụ"), N_("Hãy thử lại sau ít phút.")),
    503: (N_("Hệ thống tạm ngừng phục vụ"), N_("Hãy thử lại sau ít phút.")),
    504: (N_("Hệ thống tạm ngừng phục vụ"), N_("Hãy thử lại sau ít phút.")),
}


def error_text(code: int) -> tuple[str, str]:
    """The title and message of `code` in Vietnamese (`ERRORS`, else the class's)."""
    if code in ERRORS:
        return ERRORS[code]
    return ERRORS[500] if code >= 500 else ERRORS[400]


def _staff_path(path: str) -> bool:
    return path.startswith(STAFF_PATHS) and path not in ("/agent/", "/office/display")


def _way_back(path: str) -> str:
    """The nearest page above `path` a browser may open (a POST-only action's own page, e.g.
    a dossier's for its receipt), or "" if there is none."""
    adapter = current_app.url_map.bind("")
    parts = path.rstrip("/").split("/")
    while len(parts) > 2:
        parts.pop()
        parent = "/".join(parts) or "/"
        for candidate in (parent, parent + "/"):
            try:
                adapter.match(candidate, method="GET")
            except HTTPException:
                continue
            return candidate
    return ""


def _error_page(code: int, message: str = "") -> tuple[Response, int]:
    """The error page for who asked: staff (the office and the agent portal, but not the
    public display and the agents' catalog) get a staff page, everyone else the kiosk's;
    both in Vietnamese, with a way back."""
    path = request.path
    staff = _staff_path(path)
    title, default = error_text(code)
    template = "office/error.html" if staff else "kiosk/error.html"
    extra: dict[str, Any] = {}
    if staff and request.url_rule is None:  # routing failed (405): who is signed in, still
        from .auth import current_user

        extra["staff"] = current_user()
    back = _way_back(path) if code == 405 else ""
    return render(template, code=code, title=gettext(title),
                  message=message or gettext(default), back=back, **extra), code  # fmt: skip


def not_found(_exc: Exception) -> tuple[Response, int]:
    if request.path.startswith("/api/"):
        return api_error(404, "not_found", "Không tìm thấy địa chỉ này.")
    return _error_page(404)


def any_http_error(exc: HTTPException) -> Any:
    """Every other HTTP error (405, 429, 400, ...): the API's error shape, or the page of the
    surface that was asked, in Vietnamese; never Werkzeug's English default."""
    code = exc.code or 500
    if request.path.startswith("/api/"):
        resp, status = api_error(code, "http_" + str(code), error_text(code)[1])
        for name in ("Allow", "Retry-After"):
            if exc.get_headers() and name in dict(exc.get_headers()):
                resp.headers[name] = dict(exc.get_headers())[name]
        return resp, status
    resp, status = _error_page(code)
    if code == 405 and isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp, status


def bad_parameter(exc: Exception) -> tuple[Response, int]:
    """A parameter that is not what it must be (`view_helpers.BadParameter`): a 400 saying which."""
    message = str(getattr(exc, "description", "")) or "Tham số không hợp lệ."
    if request.path.startswith("/api/"):
        return api_error(400, "bad_request", message)
    return _error_page(400, message)


def forbidden(_exc: Exception) -> tuple[Response, int]:
    """A page the signed-in account may not open (surfaces without their own 403 page)."""
    message = gettext("Tài khoản của bạn không có quyền mở trang này.")
    if request.path.startswith("/api/"):
        return api_error(403, "forbidden", message)
    return _error_page(403, message)


def csrf_refused(_exc: Exception) -> tuple[Response, int]:
    """A form posted without its protection token, or with one that has expired."""
    message = gettext(
        "Biểu mẫu đã hết hạn hoặc thiếu mã bảo vệ. Vui lòng tải lại trang rồi thử lại."
    )
    if request.path.startswith("/api/"):
        return api_error(400, "csrf", message)
    return _error_page(400, message)


def too_large(_exc: Exception) -> tuple[Response, int]:
    from .domain.dossiers.uploads import megabytes

    limit = megabytes(int(float(current_app.config["UPLOAD_MAX_MB"]) * 1024 * 1024))
    message = f"Tệp lớn quá {limit} (giới hạn mỗi tệp)."
    if request.path.startswith("/api/") or request.path.endswith("/uploads"):
        return api_error(413, "too_large", message)
    return _error_page(413, message)


def server_error(_exc: Exception) -> tuple[Response, int]:
    if request.path.startswith("/api/"):
        return api_error(500, "server_error", "Hệ thống đang gặp sự cố, vui lòng thử lại sau.")
    return _error_page(500)


def register_filters(app: Flask) -> None:
    """Template filters: `vnd` (money, the app's one format), `dmy` and `dmy_hm` (dates as
    dd/mm/yyyy, the staff pages' one format), `days` (processing time); and `doc_label`, a
    kept file's name as staff read it."""
    from .domain.text import format_vnd

    app.jinja_env.filters["vnd"] = format_vnd

    @app.template_filter("dmy")
    def dmy(value: Any) -> str:
        """A date (or a time's date) as dd/mm/yyyy, whatever the browser's locale: the staff
        pages' one date format."""
        return value.strftime("%d/%m/%Y") if value else ""

    @app.template_filter("dmy_hm")
    def dmy_hm(value: Any) -> str:
        """A time as HH:MM dd/mm/yyyy."""
        return value.strftime("%H:%M %d/%m/%Y") if value else ""

    from .domain.dossiers.uploads import document_label

    app.jinja_env.globals["doc_label"] = lambda name: gettext(document_label(name))

    @app.template_filter("days")
    def days(value: Any) -> str:
        from flask_babel import gettext, ngettext

        n = float(value)
        if n == 0:
            return str(gettext("Trong ngày"))
        shown = f"{n:g}".replace(".", ",")
        return str(ngettext("%(n)s ngày làm việc", "%(n)s ngày làm việc", int(n) or 1, n=shown))


def init_app(app: Flask) -> None:
    """Attach the site-wide routes, hooks and handlers to `app`."""
    app.json = SafeJSON(app)
    app.add_url_rule("/", "index", index)
    app.add_url_rule("/lang/<code>", "set_language", set_language)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.context_processor(surface_globals)
    from .auth import password_change_gate

    app.before_request(password_change_gate)
    app.after_request(security_headers)
    app.register_error_handler(404, not_found)
    app.register_error_handler(403, forbidden)
    app.register_error_handler(CSRFError, csrf_refused)
    app.register_error_handler(413, too_large)
    app.register_error_handler(BadParameter, bad_parameter)
    app.register_error_handler(500, server_error)
    app.register_error_handler(HTTPException, any_http_error)
    register_filters(app)
    # Templates compare ticket states by name, never by a string of their own.
    app.jinja_env.globals["states"] = TicketState
