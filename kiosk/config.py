"""Configuration: defaults here, then `instance/config.py`, then `KIOSK_*` environment variables.

`DATABASE_URL` (no prefix, as hosting platforms set it) picks the database; without it the
embedded default is an SQLite file in the instance folder.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from printers.transports.policy import AddressPolicy, parse_ports

#: Every setting, its default and what it is for. The README's settings table is checked
#: against this registry by the tests, so a new setting cannot go undocumented.
SETTINGS: dict[str, tuple[Any, str]] = {
    "ENV": (
        "development",
        "`production` refuses to start with a missing, short or known SECRET_KEY or with a demo "
        "account that still signs in, and sends cookies over HTTPS only, with HSTS",
    ),
    "SECRET_KEY": (
        None,
        "signs sessions and CSRF tokens; in production at least 32 characters, random",
    ),
    "DATABASE_URL": (None, "SQLAlchemy URL; empty means SQLite at instance/kiosk.db"),
    "SITE_CODE": ("000.00.01.H29", "the receiving agency's identifier code (Circular 01/2018)"),
    "NATS_URL": (
        None,
        "the site's own NATS server (nats://127.0.0.1:PORT): kiosk serve then starts the relay "
        "that sends the outbox to the province; at the hub, the ingest's (STORE/local-url); "
        "empty: no sync",
    ),
    "SITE_NAME": (
        "Trung tâm Phục vụ hành chính công tỉnh Gia Lai",
        "the center's name shown on screens and slips",
    ),
    "PUBLIC_URL": (None, "base URL that citizens' phones can reach, used in QR codes"),
    "IDLE_SECONDS": (90, "the kiosk returns home after this many seconds without a touch"),
    "SPEECH_VOLUME": (
        90,
        "loudness, 0-100 %, of the kiosk's read-aloud (Nghe) and of the displays' spoken calls "
        "until the manager sets it on the office's sound page",
    ),
    "DEFAULT_LOCALE": ("vi", "language of every screen unless the user switches"),
    "TRANSLATIONS_DIR": (
        None,
        "folder of the compiled catalogs (<code>/LC_MESSAGES/messages.mo) whose languages the "
        "screens offer; empty means the package's kiosk/translations",
    ),
    "SEARCH_LIMIT": (30, "most results a search returns to a screen"),
    "SQLITE_BUSY_TIMEOUT_MS": (5000, "how long SQLite waits for a lock before failing"),
    "PRINTER_URL": (None, "default printer; empty means virtual://INSTANCE/prints"),
    "PRINTER_PROFILE": ("TM-T20II", "python-escpos profile of the default printer"),
    "PRINTER_TCP_PORTS": (
        "9100-9109",
        "the only ports a tcp:// printer may use: one port (9100), ports and ranges "
        "(9100-9109,9200) or a JSON list ([9100, 9200])",
    ),
    "PRINTER_FILE_DIRS": (
        [],
        "folders a file:// printer may write into, besides printer devices (/dev/usb/lp*, "
        "/dev/ttyUSB*, /dev/ttyACM*)",
    ),
    "MAX_STREAMS": (
        800,
        "event streams (displays, counter screens) one worker holds open; keep it below the "
        "worker's connections (kiosk serve --worker-connections, 1000) so the rest stay for "
        "the kiosk and counters; displays a site can hold = workers × this",
    ),
    "STREAM_RETRY_SECONDS": (
        10,
        "a display refused because its worker is full tries again after about this long",
    ),
    "SITE_TZ": ("Asia/Ho_Chi_Minh", "the center's time zone: its day, hours and ticket numbering"),
    "INSTANCE_PATH": (
        None,
        "where the database, secret key and instance config live; empty means ./instance",
    ),
    "UPLOAD_DIR": (
        None,
        "where uploaded papers and results are kept, outside static/; empty means instance/uploads",
    ),
    "UPLOAD_MAX_MB": (10, "largest file a citizen, officer or agent may upload"),
    "DOSSIER_MAX_MB": (40, "most a dossier's files may weigh together"),
    "UPLOAD_KEEP_HOURS": (24, "an upload never filed with a dossier is removed after this long"),
    "ANONYMOUS_UPLOADS_PER_HOUR": (
        100,
        "files one address may upload in an hour without signing in (the kiosk, the API "
        "without a token); a kiosk is one address, so count its citizens' papers",
    ),
    "ANONYMOUS_UPLOAD_MB_PER_HOUR": (
        500,
        "megabytes one address may upload in an hour without signing in",
    ),
    "SPEECH_PER_MINUTE": (
        60,
        "new texts the kiosk's read-aloud (/kiosk/speak) may speak for one address a minute; "
        "those already in the cache are not counted",
    ),
    "STATUS_LOOKUPS_PER_MINUTE": (
        10,
        "dossier status look-ups (/d/<code>, the API's verify) one address may make a minute",
    ),
    "SESSION_IDLE_MINUTES": (
        30,
        "an agent's, supervisor's or admin's session left unused this long ends (counter "
        "screens stay signed in all day); 0 keeps sessions until they expire after 12 hours",
    ),
    "PROXY_COUNT": (
        0,
        "reverse proxies (nginx) in front of the app whose X-Forwarded-For/-Proto/-Host are "
        "trusted; the client's address then counts for rate limits and sign-in brakes",
    ),
    "QUEUE_ENFORCE_HOURS": (
        False,
        "refuse tickets outside a service's hours; otherwise issue them and count the wait "
        "from opening",
    ),
}


def defaults() -> dict[str, Any]:
    """The default configuration mapping."""
    return {name: value for name, (value, _help) in SETTINGS.items()}


def load(instance_path: str) -> dict[str, Any]:
    """The configuration as the app factory builds it, without Flask, for processes that serve
    no pages (the print spooler): defaults, then `instance/config.py` (its upper-case names),
    then `KIOSK_*` variables, read as JSON where they parse (as Flask's `from_prefixed_env`)."""
    config = defaults()
    file = Path(instance_path) / "config.py"
    if file.exists():
        scope: dict[str, Any] = {"__file__": str(file)}
        exec(compile(file.read_bytes(), str(file), "exec"), scope)  # noqa: S102 - the site's own
        config.update({k: v for k, v in scope.items() if k.isupper()})
    for name, raw in os.environ.items():
        if name.startswith("KIOSK_"):
            try:
                config[name[6:]] = json.loads(raw)
            except ValueError:
                config[name[6:]] = raw
    config["DATABASE_URL"] = database_url(config, instance_path)
    return config


def database_url(config: dict[str, Any], instance_path: str) -> str:
    """The SQLAlchemy URL: `DATABASE_URL` from config or environment, else the embedded SQLite."""
    url = config.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return str(url)
    return "sqlite:///" + str(Path(instance_path) / "kiosk.db")


class ConfigError(RuntimeError):
    """The configuration cannot run; the message says what to set."""


def printer_policy(config: dict[str, Any], instance_path: str) -> AddressPolicy:
    """The printer addresses this site allows (see `printers.transports.policy`): virtual
    printers under the instance folder, tcp:// on PRINTER_TCP_PORTS, file:// on printer devices
    and PRINTER_FILE_DIRS."""
    dirs = config.get("PRINTER_FILE_DIRS") or []
    if isinstance(dirs, str):
        dirs = [d for d in dirs.split(os.pathsep) if d]
    try:
        raw = config.get("PRINTER_TCP_PORTS")
        ports = parse_ports("9100-9109" if raw is None or raw == "" else raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "KIOSK_PRINTER_TCP_PORTS is not a port or a list of ports such as 9100, 9100-9109,9200 "
            f"or [9100, 9200]: {exc}"
        ) from exc
    return AddressPolicy(Path(instance_path), tuple(Path(str(d)) for d in dirs), ports)


#: How to make a good key, for the messages.
MAKE_KEY = "export KIOSK_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
#: The shortest key production accepts: anyone who guesses the key forges any session.
MIN_SECRET_KEY = 32
#: Keys seen in examples, tests and this repository's own defaults: never good in production.
KNOWN_KEYS = frozenset(
    {
        "changeme", "change-me", "change_me", "secret", "secret-key", "secretkey", "dev",
        "development", "test", "test-secret", "testing", "x", "bench", "kiosk", "password",
        "default", "insecure", "your-secret-key", "replace-me", "please-change-me",
    }
)  # fmt: skip


#: Words that give away a key copied from an example rather than generated.
PLACEHOLDER_WORDS = ("change", "secret", "example", "replace", "your", "password", "default")


def is_production(config: dict[str, Any]) -> bool:
    return str(config.get("ENV") or "").strip().lower() == "production"


def weak_secret_key(key: object) -> str | None:
    """Why `key` must not sign production's sessions, or None when it may."""
    text = str(key or "")
    if not text:
        return "KIOSK_SECRET_KEY is not set"
    if text.strip().lower() in KNOWN_KEYS:
        return "KIOSK_SECRET_KEY is a known example value"
    if len(text) < MIN_SECRET_KEY:
        return f"KIOSK_SECRET_KEY is shorter than {MIN_SECRET_KEY} characters"
    if len(set(text)) < 8:
        return "KIOSK_SECRET_KEY repeats a few characters (it must be random)"
    if any(text == text[:n] * (len(text) // n) for n in range(1, len(text) // 2 + 1)
           if len(text) % n == 0):  # fmt: skip
        return "KIOSK_SECRET_KEY is one piece repeated (it must be random)"
    folded = text.lower()
    if any(word in folded for word in PLACEHOLDER_WORDS):
        return "KIOSK_SECRET_KEY reads like an example to replace (it must be random)"
    return None


def ensure_secret_key(config: dict[str, Any], instance_path: str) -> None:
    """Fill SECRET_KEY: in production it must be given, long and not a known value (a guessed
    key forges any session, the second step of signing in included); in development it is
    generated once and kept in the instance folder so sessions survive a restart."""
    if is_production(config):
        problem = weak_secret_key(config.get("SECRET_KEY"))
        if problem:
            raise ConfigError(
                f"{problem}. In production the secret key must be at least {MIN_SECRET_KEY} "
                "random characters from the environment or instance/config.py, for example: "
                + MAKE_KEY
            )
        return
    if config.get("SECRET_KEY"):
        return
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    config["SECRET_KEY"] = key_file.read_text().strip()
