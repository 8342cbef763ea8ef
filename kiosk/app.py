"""The application factory: configuration, storage, extensions, blueprints, commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from . import config as cfg
from . import languages, site_wide, view_helpers
from .storage import make_engine, make_sessionmaker

ROOT = Path(__file__).resolve().parent.parent


def recover_uploads(app: Flask) -> None:
    """Finish the uploads a crash cut between their row's commit and their file's rename, and
    remove the parts of writers that died before committing (`uploads.recover` without strays).
    Runs as the app is built: once in gunicorn's master, before the workers fork
    (`preload_app`), and in each command. A database that cannot be read yet (before
    `kiosk init-db`, or down) leaves it for the next start or `kiosk uploads sweep`."""
    folder = view_helpers.upload_folder_for(app.config, app.instance_path)
    if not folder.is_dir():
        return
    from sqlalchemy.exc import SQLAlchemyError

    from .domain.dossiers import uploads

    session = app.extensions["kiosk.sessionmaker"]()
    try:
        done = uploads.recover(session, folder, strays=False)
    except (SQLAlchemyError, OSError) as exc:
        app.logger.warning("Uploads not recovered at start: %s", exc)
        return
    finally:
        session.close()
    if done.finished or done.removed:
        app.logger.warning(
            "Uploads cut by a crash: %d finished, %d removed.", done.finished, done.removed
        )


def create_app(test_config: dict[str, Any] | None = None, *, commands: bool = False) -> Flask:
    """Build the app: defaults, then instance/config.py, then KIOSK_* variables, then
    `test_config` (tests only). In production an app that serves pages refuses to be built
    while a demo account still signs in; `commands` (the `kiosk` command) builds it anyway, as
    the command that puts that right needs it (`kiosk serve` checks for itself)."""
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
        # Production is served over HTTPS (a proxy in front ends TLS): the cookie never travels
        # in clear; site_wide.security_headers adds HSTS.
        SESSION_COOKIE_SECURE=cfg.is_production(app.config),
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        # CSRF tokens live as long as the session: a counter screen stays open all day.
        WTF_CSRF_TIME_LIMIT=None,
        # No request body may be larger than one upload and its form (refused unread).
        MAX_CONTENT_LENGTH=int(float(app.config["UPLOAD_MAX_MB"]) * 1024 * 1024) + 1024 * 1024,
        BABEL_DEFAULT_LOCALE=app.config["DEFAULT_LOCALE"],
        BABEL_TRANSLATION_DIRECTORIES=str(app.config["TRANSLATIONS_DIR"] or languages.TRANSLATIONS),
    )
    # The language buttons: every compiled catalog found, read once at start.
    app.extensions["kiosk.languages"] = languages.find_languages(
        Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    )

    engine = make_engine(
        app.config["DATABASE_URL"], busy_timeout_ms=int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    )
    app.extensions["kiosk.engine"] = engine
    app.extensions["kiosk.sessionmaker"] = make_sessionmaker(engine)
    view_helpers.init_app(app)
    recover_uploads(app)
    proxies = int(app.config["PROXY_COUNT"] or 0)
    if proxies > 0:  # behind nginx: the client's address, not the proxy's, is the asker's
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    # Before the CSRF check, which reads the form's names: no NUL, no part without a name.
    app.before_request(site_wide.refuse_nul)
    csrf = CSRFProtect(app)
    Babel(app, locale_selector=site_wide.select_locale)

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
    site_wide.init_app(app)

    from .cli import register

    register(app)
    if cfg.is_production(app.config) and not commands:
        refuse_published_accounts(app)
    return app


def refuse_published_accounts(app: Flask) -> None:
    """ConfigError when a demo account still signs in with its published password (production
    must not serve with one), naming the command that locks them."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from .demo.accounts import DEMO_ACCOUNTS
    from .domain.accounts import published_accounts

    session = app.extensions["kiosk.sessionmaker"]()
    try:
        names = [u.username for u in published_accounts(session, [a[:2] for a in DEMO_ACCOUNTS])]
    except (OperationalError, ProgrammingError):  # no tables yet: `kiosk init-db` comes first
        names = []
    finally:
        session.close()
    if names:
        app.extensions["kiosk.engine"].dispose()  # this app will never serve: let go of it
        raise cfg.ConfigError(
            f"KIOSK_ENV=production: the demo accounts {', '.join(names)} still sign in with "
            "the passwords published in the README. Lock them with: kiosk users lock --demo "
            "(or give one a new password with: kiosk users password NAME)"
        )
