"""JSON API under /api/v1, described by `openapi.json` beside this file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request

from ..domain import catalog
from ..domain.clock import local, today
from ..models import LEVELS, Procedure
from ..site_wide import api_error
from ..view_helpers import db, int_arg, site_tz

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def iso(at: dt.datetime | None) -> str | None:
    """The API's one rule for a moment (a stored UTC time): RFC 3339 to the second with the
    site's offset, e.g. 2026-11-16T09:00:00+07:00 (openapi.json's description says so)."""
    return local(at, site_tz()).isoformat(timespec="seconds") if at else None


OPENAPI = Path(__file__).with_name("openapi.json")


#: The one error shape: `{"error": {"code", "message"}}`, the message in Vietnamese.
error = api_error


def _summary(p: Procedure) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "field": p.field,
        "level": p.level,
        "agency": p.agency,
        "online_level": p.online_level,
        "any_desk": p.any_desk,
    }


def _detail(p: Procedure, day: dt.date) -> dict[str, Any]:
    """A procedure with the fees in force on `day` (the site's)."""
    channels = []
    for cf in catalog.fees_on(p, day):
        ch = cf.channel
        channels.append(
            {
                "kind": ch.kind,
                "processing_days": float(ch.processing_days),
                "time_note": ch.time_note,
                "fees": [
                    {
                        "amount_vnd": f.amount_vnd,
                        "description": f.description,
                        "valid_from": f.valid_from.isoformat() if f.valid_from else None,
                        "valid_to": f.valid_to.isoformat() if f.valid_to else None,
                    }
                    for f in ch.fees
                ],
                "current_fee_vnd": cf.fees[0][0] if cf.fees else None,
                "online_saving_vnd": cf.saving_vnd,
            }
        )
    return {
        **_summary(p),
        "version": p.version,
        "applicants": p.applicants,
        "result": p.result,
        "legal_basis": p.legal_basis,
        "conditions": p.conditions,
        "steps": p.steps,
        "source": p.source,
        "channels": channels,
        "documents": [
            {
                "name": d.name,
                "originals": d.originals,
                "copies": d.copies,
                "form": d.form,
                "case": d.case,
                "required": d.required,
            }
            for d in p.documents
        ],
        "form": [{"options": [], **f.as_dict()} for f in catalog.form_of(p)],
    }


@bp.get("/procedures")
def list_procedures() -> Any:
    q = request.args.get("q", "")
    if len(q) > 200:
        return error(400, "bad_request", "Từ khóa tìm kiếm quá dài (tối đa 200 ký tự).")
    level = request.args.get("level") or None
    if level is not None and level not in LEVELS:
        return error(400, "bad_request", "Cấp thực hiện (level) chỉ nhận 'tinh' hoặc 'xa'.")
    limit = int_arg("limit", 30, low=1, high=100)
    offset = int_arg("offset", 0)
    result = catalog.search(
        db(), q, field=request.args.get("field") or None, level=level, limit=limit, offset=offset
    )
    return {"total": result.total, "items": [_summary(p) for p in result.items]}


@bp.get("/procedures/<code>")
def get_procedure(code: str) -> Any:
    proc = catalog.get_procedure(db(), code)
    if proc is None:
        return error(404, "not_found", f"Không tìm thấy thủ tục có mã {code}.")
    return _detail(proc, today(site_tz()))


@bp.get("/openapi.json")
def openapi() -> Response:
    doc = json.loads(OPENAPI.read_text(encoding="utf-8"))
    doc["servers"] = [{"url": request.host_url.rstrip("/") + "/api/v1"}]
    return current_app.response_class(
        json.dumps(doc, ensure_ascii=False, indent=1), mimetype="application/json"
    )


from . import dossiers as _dossiers  # noqa: E402,F401 - registers the dossier endpoints
from . import payments as _payments  # noqa: E402,F401 - registers the payment endpoints
from . import places as _places  # noqa: E402,F401 - registers the places endpoint on `bp`
from . import queue as _queue  # noqa: E402,F401 - registers the queue endpoints on `bp`
from . import reports as _reports  # noqa: E402,F401 - registers the report endpoints
from . import sync as _sync  # noqa: E402,F401 - registers the province's sync status
