"""Glue shared by every surface: the request's database session and page-or-fragment rendering."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Flask,
    Response,
    current_app,
    g,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from jinja2_fragments.flask import render_block
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

from printers.transports.policy import AddressPolicy

from .domain.dossiers.uploads import Limits, Quota
from .domain.printing import Printer, TicketPrint, station_printer
from .domain.text import N_
from .doorbell import Doorbell, ring_after_commit
from .events import Hub
from .models import MAX_ID


def db() -> Session:
    """The request's session, opened on first use and closed when the request ends."""
    if "db" not in g:
        factory: sessionmaker[Session] = current_app.extensions["kiosk.sessionmaker"]
        g.db = factory()
    session: Session = g.db
    return session


def close_db(_exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db", None)
    if session is not None:
        session.close()


def is_htmx_fragment(target: str) -> bool:
    """Whether this request is htmx asking for the element `target` only.

    Decided on HX-Request and HX-Target together, never on HX-Boosted: a boosted navigation
    wants the whole page.
    """
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == target
        and request.headers.get("HX-Boosted") != "true"
    )


def render(template: str, block: str | None = None, **context: Any) -> Response:
    """The whole page, or only `block` when htmx targets the element of the same id."""
    if block and is_htmx_fragment(block):
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    resp = make_response(body)
    resp.headers["Vary"] = "HX-Request, HX-Target"
    return resp


def hub() -> Hub:
    """This worker's event hub (started on first use)."""
    found: Hub | None = current_app.extensions.get("kiosk.hub")
    if found is None:
        found = Hub(
            current_app.extensions["kiosk.sessionmaker"],
            tz=site_tz(),
            doorbell=current_app.extensions["kiosk.doorbell"],
        )
        current_app.extensions["kiosk.hub"] = found
    return found


#: The refusal of a change to another site's dossier at the province's hub (`elsewhere`).
READ_ONLY = N_(
    "Hồ sơ %(code)s thuộc đơn vị %(site)s: tại tỉnh chỉ xem được, mọi thay đổi (xử lý, trả "
    "kết quả, thu tiền, tệp, đánh giá) làm tại đơn vị đó."
)


def elsewhere(dossier: Any) -> str:
    """Why nothing of `dossier` may change here, when another site owns it (at the province's
    hub, which holds every site's dossiers to read and report on); "" for this site's own."""
    if dossier.site_code == current_app.config["SITE_CODE"]:
        return ""
    return str(gettext(READ_ONLY, code=dossier.code, site=dossier.site_code))


def site_tz() -> dt.tzinfo:
    return ZoneInfo(str(current_app.config["SITE_TZ"]))


def public_url(path: str) -> str:
    """An address citizens' phones can open: PUBLIC_URL when set, else this request's host."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return str(base).rstrip("/") + path


def default_printer() -> Printer:
    """The printer of kiosks and counters that have none of their own (KIOSK_PRINTER_URL)."""
    return Printer(current_app.config["PRINTER_URL"], current_app.config["PRINTER_PROFILE"])


def printer_policy() -> AddressPolicy:
    """The printer addresses this site allows (KIOSK_PRINTER_TCP_PORTS, ..._FILE_DIRS)."""
    policy: AddressPolicy = current_app.extensions["kiosk.printer_policy"]
    return policy


def ticket_print(station_code: str | None) -> TicketPrint:
    """How a ticket is printed from this request: on the station's printer (else the
    default), with this site's name, and a QR code to its public page."""
    return TicketPrint(
        printer=station_printer(db(), station_code, default_printer()),
        site_name=str(current_app.config["SITE_NAME"]),
        link=lambda token: public_url(url_for("public.ticket", token=token)),
        tz=site_tz(),
    )


def upload_folder() -> Path:
    """Where uploads are kept (KIOSK_UPLOAD_DIR, else instance/uploads), never under static/."""
    return upload_folder_for(current_app.config, current_app.instance_path)


def upload_folder_for(config: Any, instance_path: str) -> Path:
    return Path(config.get("UPLOAD_DIR") or Path(instance_path) / "uploads")


def draft_folder() -> Path:
    """Where kiosk filings being typed are kept (`domain.drafts`): instance/drafts."""
    return Path(current_app.instance_path) / "drafts"


def upload_limits() -> Limits:
    return Limits.from_mb(
        float(current_app.config["UPLOAD_MAX_MB"]), float(current_app.config["DOSSIER_MAX_MB"])
    )


def anonymous_upload_quota() -> Quota:
    """What one address may upload in an hour without signing in."""
    return Quota.from_mb(
        int(current_app.config["ANONYMOUS_UPLOADS_PER_HOUR"]),
        float(current_app.config["ANONYMOUS_UPLOAD_MB_PER_HOUR"]),
    )


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a row's id, from 1 to `MAX_ID`. A larger number matches no
    route, so it answers the 404 of an unknown id instead of failing in the database."""

    def __init__(self, map: Map) -> None:  # noqa: A002 - Werkzeug's name
        super().__init__(map, min=1, max=MAX_ID)


class BadParameter(BadRequest):
    """A query or form parameter that is not what it must be; `description` says so in
    Vietnamese, naming it (answered as a 400 by `site_wide.bad_parameter`)."""


_INTEGER = re.compile(r"-?[0-9]{1,20}")


def int_arg(
    name: str,
    default: int,
    *,
    low: int = 0,
    high: int = MAX_ID,
    source: MultiDict[str, str] | None = None,
) -> int:
    """The integer parameter `name` of the query (or of `source`, a form), `default` when it
    is absent or empty; BadParameter when it is not a whole number from `low` to `high`. The
    one parser of integer parameters (offsets, limits, ids)."""
    raw = (request.args if source is None else source).get(name, "").strip()
    if not raw:
        return default
    if not _INTEGER.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadParameter(
            gettext("Tham số %(name)s phải là số nguyên từ %(low)s đến %(high)s.",
                    name=name[:40], low=low, high=high)
        )  # fmt: skip
    return int(raw)


def id_arg(name: str, source: MultiDict[str, str] | None = None) -> int | None:
    """The id in parameter `name` (None when absent); BadParameter when no row could have it."""
    found = int_arg(name, 0, low=1, source=source)
    return found or None


def as_id(raw: str | None) -> int | None:
    """`raw` as a row's id, or None when it cannot be one (lenient: for lists of ids and
    headers, where a bad one is left out)."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    return int(raw) if 1 <= int(raw) <= MAX_ID else None


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    # A commit adding queue events wakes the displays' hubs of every worker on this database.
    bell = Doorbell.for_database(str(app.config["DATABASE_URL"]))
    ring_after_commit(app.extensions["kiosk.sessionmaker"], bell)
    app.extensions["kiosk.doorbell"] = bell
    # Before the blueprints' routes are added: they name it.
    app.url_map.converters["id"] = IdConverter


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV file to download (UTF-8 with a BOM, so Excel reads the diacritics). A text that a
    spreadsheet would run as a formula (a name typed as `=HYPERLINK(...)`) is written with a
    leading apostrophe; numbers are written as they are."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for row in rows:
        w.writerow(
            [f"'{v}" if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in row]
        )
    resp = current_app.response_class("\ufeff" + buf.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return resp


def safe_next(target: str | None, default: str | None = None) -> str:
    """Where a `next` parameter may send the browser: a path of this site, else `default`
    (the kiosk's home). Every `next` of the app (sign-in, the language switch, the password
    page) goes through here.

    Browsers drop tabs and newlines anywhere in a URL and read a backslash as a slash, so
    `/\\t/evil.example` or `/\\\\evil.example` would leave the site: a control character, a
    space or a backslash anywhere sends home, as does anything not starting with one `/`.
    """
    home = default or url_for("kiosk.home")
    if not target or len(target) > 2000 or not target.startswith("/"):
        return home
    if target.startswith("//") or any(c < " " or c in "\x7f\\ " for c in target):
        return home
    return target
