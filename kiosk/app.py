"""The application factory: configuration, storage, extensions, blueprints, commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from . import config as cfg
from . import site, web
from .storage import make_engine, make_sessionmaker

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then KIOSK_* variables, then
    `test_config` (tests only)."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "KIOSK_INSTANCE_PATH"
    )
    app = Flask(
        "kiosk",
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
    app.extensions["kiosk.printer_policy"] = cfg.printer_policy(app.config, app.instance_path)
    app.config.update(
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        # CSRF tokens live as long as the session: a counter screen stays open all day.
        WTF_CSRF_TIME_LIMIT=None,
        # No request body may be larger than one upload and its form (refused unread).
        MAX_CONTENT_LENGTH=int(float(app.config["UPLOAD_MAX_MB"]) * 1024 * 1024) + 1024 * 1024,
        BABEL_DEFAULT_LOCALE=app.config["DEFAULT_LOCALE"],
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
    )

    engine = make_engine(
        app.config["DATABASE_URL"], busy_timeout_ms=int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    )
    app.extensions["kiosk.engine"] = engine
    app.extensions["kiosk.sessionmaker"] = make_sessionmaker(engine)
    web.init_app(app)
    proxies = int(app.config["PROXY_COUNT"] or 0)
    if proxies > 0:  # behind nginx: the client's address, not the proxy's, is the asker's
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    # Before the CSRF check, which reads the form's names: no NUL, no part without a name.
    app.before_request(site.refuse_nul)
    csrf = CSRFProtect(app)
    Babel(app, locale_selector=site.select_locale)

    from agent_portal import bp as agent_bp

    from .api import bp as api_bp
    from .citizen import bp as kiosk_bp
    from .citizen import public as public_bp
    from .office import bp as office_bp

    for blueprint in (kiosk_bp, public_bp, agent_bp, api_bp, office_bp):
        app.register_blueprint(blueprint)
    # The API authenticates by bearer token; cookie-authenticated writes check X-CSRFToken
    # themselves (kiosk/auth.py).
    csrf.exempt(api_bp)
    site.init_app(app)

    from .cli import register

    register(app)
    return app
