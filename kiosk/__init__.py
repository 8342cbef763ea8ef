"""The application: `gunicorn 'kiosk:create_app()'` or `kiosk serve`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, redirect, request, session, url_for
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response as WerkzeugResponse

from . import config as cfg
from . import web
from .storage import make_engine, make_sessionmaker

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("vi", "en")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then KIOSK_* variables, then
    `test_config` (tests only)."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "KIOSK_INSTANCE_PATH"
    )
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(cfg.defaults())
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("KIOSK")
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    cfg.ensure_secret_key(app.config, app.instance_path)
    app.config["DATABASE_URL"] = cfg.database_url(app.config, app.instance_path)
    if not app.config.get("PRINTER_URL"):
        app.config["PRINTER_URL"] = f"virtual://{Path(app.instance_path) / 'prints'}"
    app.config.update(
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        # CSRF tokens live as long as the session: a counter screen stays open all day.
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=app.config["DEFAULT_LOCALE"],
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
    )

    engine = make_engine(
        app.config["DATABASE_URL"], busy_timeout_ms=int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    )
    app.extensions["kiosk.engine"] = engine
    app.extensions["kiosk.sessionmaker"] = make_sessionmaker(engine)
    web.init_app(app)
    csrf = CSRFProtect(app)
    Babel(app, locale_selector=_select_locale)
    _register_filters(app)

    from agent_portal import bp as agent_bp

    from .api import bp as api_bp
    from .office import bp as office_bp
    from .queue_views import public as public_bp
    from .views import bp as kiosk_bp

    app.register_blueprint(kiosk_bp)
    app.register_blueprint(agent_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(office_bp)
    app.register_blueprint(public_bp)
    # The API authenticates by bearer token; cookie-authenticated writes check X-CSRFToken
    # themselves (kiosk/auth.py).
    csrf.exempt(api_bp)

    @app.get("/")
    def index() -> WerkzeugResponse:
        return redirect(url_for("kiosk.home"))

    @app.get("/lang/<code>")
    def set_language(code: str) -> WerkzeugResponse:
        if code in LOCALES:
            session["lang"] = code
        target = request.args.get("next", "")
        # Only paths on this site: never an open redirect.
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("kiosk.home")
        return redirect(target)

    @app.context_processor
    def surface_globals() -> dict[str, Any]:
        kiosk = request.blueprint in (None, "kiosk")
        user = None
        if request.blueprint in ("office", "agent"):
            from .auth import current_user

            user = current_user()
        return {
            "current_locale": str(get_locale() or app.config["DEFAULT_LOCALE"]),
            # Only the kiosk resets itself; an agent's or officer's screen must not.
            "idle_seconds": int(app.config["IDLE_SECONDS"]) if kiosk else 0,
            "home_url": url_for("kiosk.home" if kiosk else f"{request.blueprint}.index"),
            "reset_url": url_for("kiosk.reset"),
            "staff": user,
        }

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.after_request
    def security_headers(resp: Response) -> Response:
        # Everything is served from this machine: the kiosk must never need the Internet.
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'self'; "
            "base-uri 'self'; form-action 'self'",
        )
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp

    from .cli import register

    register(app)
    return app


def _select_locale() -> str:
    lang = session.get("lang") or request.args.get("lang")
    if isinstance(lang, str) and lang in LOCALES:
        return lang
    return str(current_app.config["DEFAULT_LOCALE"])


def _register_filters(app: Flask) -> None:
    from .domain.text import format_vnd

    app.jinja_env.filters["vnd"] = format_vnd

    @app.template_filter("days")
    def days(value: Any) -> str:
        from flask_babel import gettext, ngettext

        n = float(value)
        if n == 0:
            return str(gettext("Trong ngày"))
        shown = f"{n:g}".replace(".", ",")
        return str(ngettext("%(n)s ngày làm việc", "%(n)s ngày làm việc", int(n) or 1, n=shown))
