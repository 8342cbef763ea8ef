"""Dossier endpoints of the JSON API: uploads, filing, the citizen's status, the staff's list
and transitions, and ratings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, current_app, request, url_for
from flask_wtf.csrf import CSRFError

from .. import auth
from ..domain import catalog, dossiers, idempotency, ratings
from ..domain.accounts import Forbidden, audit, can
from ..domain.catalog import forms
from ..domain.clock import stored
from ..domain.dossiers import LABELS, DossierState, TransitionRefused, uploads
from ..dossier_form import store_request_file
from ..models import Dossier, Upload, User
from ..view_helpers import db, elsewhere, int_arg, public_url, site_tz, upload_limits
from . import bp, error, iso

MAX_LIST = 1000


def owner_of_request() -> str:
    """Who an upload belongs to: the signed-in or token user, else anyone holding its id."""
    user = auth.current_user()
    return f"user:{user.id}" if user is not None else "public"


def caller_of_request(user: User | None) -> str:
    """Whose idempotency keys these are: the signed-in or token user, else the anonymous
    client's address (`domain.idempotency`)."""
    return f"user:{user.id}" if user is not None else f"addr:{request.remote_addr or ''}"


def _invalid(message: str, fields: dict[str, str], status: int = 422) -> tuple[Response, int]:
    resp, _ = error(status, "invalid", message)
    body = resp.get_json()
    body["error"]["fields"] = fields
    resp.set_data(current_app.json.dumps(body))
    return resp, status


def _writer() -> User | None | tuple[Response, int]:
    """For a write: the acting user or None (anonymous); a cookie session must send its
    CSRF token."""
    try:
        auth.check_api_csrf()
    except CSRFError:
        if auth.bearer_token() is None and auth.current_user() is not None:
            return error(400, "csrf", "Thiếu hoặc sai mã chống giả mạo (X-CSRFToken).")
    return auth.current_user()


# ---------------------------------------------------------------- uploads


def upload_json(up: Upload) -> dict[str, Any]:
    return {
        "id": up.id,
        "media_type": up.media_type,
        "size": up.size,
        "pages": up.pages,
        "original_name": up.original_name,
    }


@bp.post("/uploads")
def create_upload() -> Any:
    user = _writer()
    if isinstance(user, tuple):
        return user
    try:
        up = store_request_file(owner_of_request())
    except uploads.UploadRefused as exc:
        return error(exc.status, "upload_refused", str(exc))
    return upload_json(up), 201


# ---------------------------------------------------------------- filing


def _str(body: dict[str, Any], key: str, limit: int = 255) -> str:
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(key)
    if len(value) > limit:
        raise TypeError(key)
    return value


def applicant_from(raw: Any) -> tuple[dossiers.Applicant | None, dict[str, str]]:
    """The applicant from the request's `applicant` object, or the errors by field."""
    if not isinstance(raw, dict):
        return None, {"applicant": "Cần thông tin người nộp (applicant)."}
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for key in ("full_name", "cccd", "birth_date", "gender", "phone"):
        try:
            values[key] = _str(raw, key)
        except TypeError:
            errors[key] = "Giá trị không hợp lệ (chuỗi, tối đa 255 ký tự)."
    birth = None
    if values.get("birth_date"):
        birth = forms.parse_date(values["birth_date"])
        if birth is None:
            errors["birth_date"] = "Ngày sinh không hợp lệ (YYYY-MM-DD)."
    address = raw.get("address") or {}
    if not isinstance(address, dict) or not all(isinstance(v, str) for v in address.values()):
        errors["address"] = "Địa chỉ là {commune_code, detail}."
        address = {}
    if errors:
        return None, errors
    return (
        dossiers.Applicant(
            full_name=values["full_name"],
            cccd=values["cccd"],
            birth_date=birth,
            gender=values["gender"],
            phone=values["phone"],
            address={k: address[k] for k in ("commune_code", "detail") if k in address},
        ),  # fmt: skip
        {},
    )


def _documents(raw: Any) -> tuple[list[uploads.Wanted], dict[str, str]]:
    if raw is None:
        return [], {}
    if not isinstance(raw, list) or len(raw) > 50:
        return [], {"documents": "documents là danh sách {name, upload_id} (tối đa 50)."}
    out: list[uploads.Wanted] = []
    for item in raw:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("name", "upload_id")
        ):
            return [], {"documents": "Mỗi giấy tờ là {name, upload_id}, đều là chuỗi."}
        out.append(uploads.Wanted(item["name"][:255], item["upload_id"][:64]))
    return out, {}


def dossier_brief(d: Dossier) -> dict[str, Any]:
    return {
        "code": d.code,
        "procedure": d.procedure_code,
        "channel": d.channel,
        "status": d.status,
        "received_at": iso(d.received_at),
        "due_at": iso(d.due_at),
        "resolved_at": iso(d.resolved_at),
        "unit": d.unit,
        "site": d.site_code,
    }


def _status_url(code: str) -> str:
    return public_url(url_for("public.dossier_status", code=code))


@bp.post("/dossiers")
def file_dossier() -> Any:
    user = _writer()
    if isinstance(user, tuple):
        return user
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, "bad_request", "Thân yêu cầu phải là một đối tượng JSON.")
    code = body.get("procedure")
    if not isinstance(code, str) or not code or len(code) > 32:
        return _invalid("Cần mã thủ tục (procedure).", {"procedure": "Cần mã thủ tục."}, 400)
    proc = catalog.get_procedure(db(), code)
    if proc is None:
        return error(404, "unknown_procedure", "Không có thủ tục với mã này.")
    applicant, errors = applicant_from(body.get("applicant"))
    wanted, doc_errors = _documents(body.get("documents"))
    errors.update(doc_errors)
    fields = body.get("fields") or {}
    key = body.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or len(key) > 64):
        errors["idempotency_key"] = "Khóa chống trùng là chuỗi tối đa 64 ký tự."
    channel = body.get("channel", "online")
    if channel not in ("online", "direct") or (
        channel == "direct" and not can(user, "dossier.receive")
    ):
        errors["channel"] = "Chỉ cán bộ một cửa nộp kênh 'direct'; mặc định là 'online'."
    agent = user if dossiers.branch_of(user) is not None else None
    consent = None
    if agent is not None:  # an agent files for a citizen: their signed authorization first
        consent_id = body.get("consent_upload_id")
        consent = uploads.get(db(), consent_id) if isinstance(consent_id, str) else None
        # Its own upload; already filed, only a retry of that filing (same key) may name it.
        if consent is None or consent.owner != f"user:{agent.id}":
            errors["consent_upload_id"] = (
                "Cần consent_upload_id: giấy ủy quyền có chữ ký của công dân, tải lên trước."
            )
    if errors or applicant is None:
        return _invalid("Yêu cầu chưa đúng, xem từng mục.", errors, 400)
    staff = can(user, "dossier.read")
    papers = dossiers.Papers(
        files=tuple(wanted), owner=f"user:{user.id}" if user else "public",
        limits=upload_limits(), staff=staff,
    )  # fmt: skip
    cfg = current_app.config
    try:
        got = dossiers.receive(
            db(), proc, applicant, channel=channel, site_code=cfg["SITE_CODE"], fields=fields,
            papers=papers, actor=user if channel == "direct" else None,
            idempotency_key=key, tz=site_tz(), agent=agent, consent=consent,
            caller=caller_of_request(user),
        )  # fmt: skip
    except idempotency.Conflict as exc:
        return error(409, "idempotency_conflict", str(exc))
    except dossiers.DossierError as exc:
        return _invalid(str(exc), exc.errors)
    except Forbidden as exc:
        return error(403, "forbidden", str(exc))
    d = got.dossier
    out = {
        "code": d.code,
        "due_at": iso(d.due_at),
        "status": d.status,
        "fee": d.fee_vnd,
        "status_url": _status_url(d.code),
    }
    return out, 201 if got.created else 200


# ---------------------------------------------------------------- reading


def _staff_reader() -> User | None:
    """The center's staff (every dossier) or a branch's agent or supervisor (their branch's)."""
    user = auth.current_user()
    if can(user, "dossier.read") or can(user, "agent.work"):
        return user
    return None


def dossier_public(d: Dossier, *, citizen: bool = True) -> dict[str, Any]:
    """What the citizen sees: no personal data beyond what they proved they know (the
    hand-back's ID number masked); staff (`citizen=False`) read the timeline whole."""
    tz = site_tz()
    return {
        **dossier_brief(d),
        "procedure_name": d.procedure_name,
        "status_label": LABELS[DossierState(d.status)],
        "promised_at": iso(d.promised_at),
        "progress": dossiers.progress(d, tz=tz),
        "fee": d.fee_vnd,
        "timeline": [
            {
                "at": s.at.isoformat(timespec="seconds"),
                "status": s.status,
                "label": s.label,
                "note": s.note,
            }
            for s in dossiers.timeline(d, tz, citizen=citizen)
        ],
    }


def dossier_full(d: Dossier) -> dict[str, Any]:
    files = db().query(Upload).filter(Upload.dossier_id == d.id).order_by(Upload.created_at)
    return {
        **dossier_public(d, citizen=False),
        "applicant": {
            "full_name": d.applicant_name,
            "cccd": d.applicant_cccd,
            "birth_date": d.applicant_birth_date.isoformat() if d.applicant_birth_date else None,
            "gender": d.applicant_gender,
            "phone": d.applicant_phone,
            "address": current_app.json.loads(d.applicant_address or "{}"),
        },
        "fields": current_app.json.loads(d.fields or "{}"),
        "documents": [{"name": u.document_name, **upload_json(u)} for u in files],
    }


def _not_found() -> tuple[Response, int]:
    return error(404, "not_found", "Không tìm thấy hồ sơ với mã và thông tin xác minh này.")


@bp.get("/dossiers/<code>")
def get_dossier(code: str) -> Any:
    verify = request.args.get("verify")
    if verify is None:
        reader = _staff_reader()
        if reader is None:
            return error(401, "unauthorized", "Gửi verify=4 số cuối CCCD hoặc điện thoại.")
        found = dossiers.visible(db(), reader, code[:64])
        if found is None:  # another branch's reads exactly as one that does not exist
            return _not_found()
        audit.record(db(), reader, "dossier.view", dossier=found.code,
                     branch=reader.branch_code or "", detail="api")  # fmt: skip
        db().commit()
        return dossier_full(found)
    checked = citizen_dossier(code, verify)
    return dossier_public(checked) if isinstance(checked, Dossier) else checked


def citizen_dossier(code: str, fact: object) -> Dossier | tuple[Response, int]:
    """The dossier for a citizen who proves they know it (`dossiers.open_for_citizen`), or the
    API's answer: 429 past the rate limit, the same 404 for a missing code and a wrong fact."""
    try:
        found = dossiers.open_for_citizen(
            db(), code, fact, asker=request.remote_addr or "",
            per_minute=int(current_app.config["STATUS_LOOKUPS_PER_MINUTE"]),
        )  # fmt: skip
    except dossiers.TooManyLookups:
        resp, status = error(429, "too_many", "Tra cứu quá nhiều lần, vui lòng thử lại sau 1 phút.")
        resp.headers["Retry-After"] = "60"
        return resp, status
    return found if found is not None else _not_found()


def _day(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name} là ngày YYYY-MM-DD.") from exc


@bp.get("/dossiers")
def list_dossiers() -> Any:
    reader = _staff_reader()
    if reader is None:
        return error(401, "unauthorized", "Cần tài khoản cán bộ (Authorization: Bearer <mã>).")
    args = request.args
    status = args.get("status") or None
    if status is not None and status not in set(DossierState):
        return error(400, "bad_request", "status không phải trạng thái hồ sơ.")
    limit = int_arg("limit", 100, low=1, high=MAX_LIST)
    try:
        start, end = _day(args.get("from"), "from"), _day(args.get("to"), "to")
    except ValueError as exc:
        return error(400, "bad_request", str(exc))
    tz = site_tz()
    try:
        page = dossiers.listing(
            db(), status=status, limit=limit, cursor=args.get("cursor") or None,
            branch=dossiers.branch_of(reader),
            start=stored(dt.datetime.combine(start, dt.time()), tz) if start else None,
            end=stored(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()), tz)
            if end else None,
        )  # fmt: skip
    except ValueError:
        return error(400, "bad_request", "cursor không hợp lệ.")
    return {"items": [dossier_brief(d) for d in page.items], "next_cursor": page.next_cursor}


# ---------------------------------------------------------------- transitions and ratings


@bp.post("/dossiers/<code>/transitions")
def transition(code: str) -> Any:
    user = _writer()
    if isinstance(user, tuple):
        return user
    if user is None:
        return error(401, "unauthorized", "Cần đăng nhập hoặc gửi Authorization: Bearer <mã>.")
    found = dossiers.visible(db(), user, code[:64])
    if found is None:
        return _not_found()
    if why := elsewhere(found):
        return error(409, "read_only_elsewhere", why)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, "bad_request", "Thân yêu cầu phải là một đối tượng JSON.")
    to, reason = body.get("to"), body.get("reason", "") or ""
    result_id = body.get("result_upload_id")
    if not isinstance(to, str) or not isinstance(reason, str):
        return error(400, "bad_request", "to và reason là chuỗi.")
    if result_id is not None and not isinstance(result_id, str):
        return error(400, "bad_request", "result_upload_id là chuỗi.")
    if to == DossierState.RETURNED:
        return _hand_back(found, user, body)
    result = uploads.get(db(), result_id) if result_id else None
    if result_id and (result is None or not uploads.may_see(result, f"user:{user.id}")):
        return error(404, "unknown_upload", "Không tìm thấy tệp kết quả đã tải lên.")
    try:
        moved = dossiers.move(db(), found, to, user, reason, tz=site_tz(), result=result)
    except Forbidden as exc:
        return error(403, "forbidden", str(exc))
    except TransitionRefused as exc:
        return error(409, "transition_refused", str(exc))
    return dossier_full(moved)


def _hand_back(found: Dossier, user: User, body: dict[str, Any]) -> Any:
    """`{"to": "returned", "receiver": {"name", "id_kind", "id_number"}, "place"}`: the result
    handed to the citizen, through the domain's one rule (`dossiers.hand_back`)."""
    receiver = body.get("receiver")
    if receiver is None:
        receiver = {}
    if not isinstance(receiver, dict):
        return error(400, "bad_request", "receiver là {name, id_kind, id_number}.")
    name, kind, number = (receiver.get(k, d) for k, d in
                          (("name", ""), ("id_kind", "cccd"), ("id_number", "")))  # fmt: skip
    place = body.get("place")
    if not all(isinstance(v, str) for v in (name, kind, number)) or not isinstance(
        place, str | None
    ):
        return error(400, "bad_request", "name, id_kind, id_number và place là chuỗi.")
    try:
        back = dossiers.hand_back(
            db(), found, user, name[:256], number[:32], id_kind=kind[:16],
            place=place[:80] if place is not None else None,
        )  # fmt: skip
    except Forbidden as exc:
        return error(403, "forbidden", str(exc))
    except dossiers.HandBackInvalid as exc:
        return _invalid(str(exc), exc.errors)
    except dossiers.FeeOwed as exc:
        return error(409, "fee_owed", str(exc))
    except TransitionRefused as exc:
        return error(409, "transition_refused", str(exc))
    return dossier_full(back)


@bp.post("/dossiers/<code>/rating")
def rate_dossier(code: str) -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("verify"), str):
        return error(400, "bad_request", "Gửi {verify, score, reasons, comment}.")
    found = citizen_dossier(code, body["verify"])
    if not isinstance(found, Dossier):
        return found
    if why := elsewhere(found):
        return error(409, "read_only_elsewhere", why)
    try:
        r = ratings.rate(
            db(), body.get("score"), body.get("reasons") or [], body.get("comment") or "",
            source="status_page", dossier=found,
        )  # fmt: skip
    except ratings.NoResultYet as exc:
        return error(409, "no_result_yet", str(exc))
    except ratings.RatingError as exc:
        return error(400, "bad_request", str(exc))
    return {"score": r.score, "reasons": current_app.json.loads(r.reasons)}, 201
