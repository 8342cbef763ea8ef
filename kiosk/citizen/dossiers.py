"""The kiosk's *Nộp hồ sơ* (pick a procedure, scan the CCCD, fill the form, add the papers,
review, submit; the receipt shows and prints on this kiosk's printer) and *Tra cứu hồ sơ* (a
dossier's status from its code, or the receipt's QR code scanned, and a second fact)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, jsonify, redirect, request, session, url_for
from werkzeug.datastructures import MultiDict

from .. import dossier_form
from ..domain import catalog, dossiers, idempotency
from ..domain.catalog import forms
from ..domain.clock import local, today
from ..domain.dossiers import drafts, uploads
from ..domain.text import vnd_words
from ..qr import qr_svg
from ..view_helpers import db, draft_folder, render, site_tz, upload_folder, upload_limits
from . import bp, kiosk_caller
from .public_pages import check_status, status_context, unpaid_qr
from .queue import STATION_COOKIE


def _owner() -> str:
    """This kiosk session's uploads (`kiosk_caller`)."""
    return kiosk_caller()


def _procedure(code: str) -> Any:
    proc = catalog.get_procedure(db(), code[:32])
    if proc is None or not any(ch.kind == "truc_tuyen" for ch in proc.channels):
        abort(404)
    return proc


def _thumb_url(upload_id: str) -> str:
    return url_for("kiosk.upload_thumb", upload_id=upload_id)


# ---------------------------------------------------------------- filing in steps
#
# The kiosk asks one thing per screen (GOV.UK's "one thing per page" and "check your
# answers"): the card, the form in short steps (`forms.steps`), the papers, then every value
# to check, each with a "Sửa" link back to its step. What each step posts is kept in the
# session's draft on the server (`domain.drafts`) before anything is checked, so going back
# and forth loses nothing; the idle reset deletes it. Plain forms and links: it works without
# JavaScript, htmx only reads the scanner without a page load. The counter and the agent
# portal keep their one-page form (templates/_dossier_form.html) from the same form data.
#
# A post without `at` is the whole form at once (the one-page form, as before the steps):
# `step=review` checks it all, `step=submit` files it.


@dataclass(frozen=True)
class Step:
    """One screen of the filing: `card` (the CCCD: name, number, birth date, gender),
    `contact` (phone and address), `form` (some of the e-form's fields), `papers`, `review`."""

    kind: str
    fields: tuple[forms.Field, ...] = ()


#: The applicant's inputs on the card's step (the rest, phone and address, on the next).
CARD_INPUTS = ("a.full_name", "a.cccd", "a.birth_date", "a.gender")
#: Names a post carries that are not the citizen's values.
TRANSIENT = ("csrf_token", "at", "go", "step", "scan")


def _plan(proc: Any) -> list[Step]:
    plan = [Step("card"), Step("contact")]
    plan += [Step("form", tuple(chunk)) for chunk in forms.steps(catalog.form_of(proc))]
    if proc.documents:
        plan.append(Step("papers"))
    plan.append(Step("review"))
    return plan


def _owns(step: Step, key: str) -> bool:
    """Whether the input `key` is asked on `step` (its value is replaced by what it posts)."""
    if step.kind == "card":
        return key in CARD_INPUTS
    if step.kind == "contact":
        return key.startswith("a.") and key not in CARD_INPUTS
    if step.kind == "form":
        return any(key == f"f.{f.name}" or key.startswith(f"f.{f.name}.") for f in step.fields)
    if step.kind == "papers":
        return key.startswith(("doc.", "reuse.", "consent."))
    return step.kind == "all" and key not in TRANSIENT


def _error_on(step: Step, key: str) -> bool:
    """Whether an error of `dossiers.check` belongs to `step`."""
    if key.startswith("fields."):
        return step.kind == "form" and any(key == f"fields.{f.name}" for f in step.fields)
    if key.startswith("documents."):
        return step.kind == "papers"
    if key in ("phone", "address"):
        return step.kind == "contact"
    return step.kind == "card" and key != "idempotency_key"


def _draft(proc: Any) -> MultiDict[str, str]:
    token = session.get("draft")
    pairs = drafts.load(draft_folder(), str(token), proc.code) if token else []
    values: MultiDict[str, str] = MultiDict(pairs)
    if not values.get("idempotency_key"):
        values["idempotency_key"] = uuid.uuid4().hex
    return values


def _keep(proc: Any, values: MultiDict[str, str]) -> None:
    token = str(session.get("draft") or "")
    if not token:
        token = session["draft"] = drafts.new_token()
    pairs = [(k, v) for k, v in values.items(multi=True) if k not in TRANSIENT]
    drafts.save(draft_folder(), token, proc.code, pairs)


def _merge(values: MultiDict[str, str], posted: MultiDict[str, str], step: Step) -> None:
    """What `step` posted replaces what the draft had for its inputs (an unticked box too)."""
    for key in [k for k in values if _owns(step, k)]:
        values.poplist(key)
    for key, value in posted.items(multi=True):
        if _owns(step, key):
            values.add(key, value[: forms.MAX_TEXT + 1])


def _errors(proc: Any, values: MultiDict[str, str]) -> dict[str, str]:
    """Every error of the draft as it would be filed (`dossiers.check`, complete)."""
    posted = dossier_form.read(values, proc)
    errors = dict(posted.errors)
    papers = dossiers.Papers(files=tuple(posted.wanted), owner=_owner(), limits=upload_limits())
    _, _, found = dossiers.check(db(), proc, posted.applicant, posted.fields, papers, complete=True)
    for key, message in found.items():
        errors.setdefault(key, message)
    return errors


def _papers(proc: Any, values: MultiDict[str, str]) -> list[dict[str, Any]]:
    """Each paper of the procedure with what the citizen gave for it: the file's name, pages
    and thumbnail (only this session's uploads are shown)."""
    out = []
    for i, doc in enumerate(proc.documents):
        up = None
        upload_id = values.get(f"doc.{i}", "")
        if upload_id:
            found = uploads.get(db(), upload_id)
            up = found if found is not None and uploads.may_see(found, _owner()) else None
        out.append({"i": i, "doc": doc, "upload": up, "thumb": _thumb_url(up.id) if up else ""})
    return out


def _fee(proc: Any) -> dict[str, Any]:
    """What filing online at the kiosk costs, for the check-your-answers page: the general
    fee in force today of the procedure's online channel (the one the kiosk files with; 0:
    free) read aloud in words, and the catalog's reduced fees with who they are for (only an
    officer or an agent applies one, so the citizen is told to ask)."""
    online = next((cf for cf in catalog.fees_on(proc, today(site_tz()))
                   if cf.channel.kind == "truc_tuyen"), None)  # fmt: skip
    fees = online.fees if online is not None else []
    amount = fees[0][0] if fees else 0
    return {"amount": amount, "words": vnd_words(amount), "reduced": fees[1:]}


def _page(
    proc: Any,
    at: int,
    values: MultiDict[str, str],
    *,
    errors: dict[str, str] | None = None,
    step: Step | None = None,
    review: bool = False,
    **kw: Any,
) -> Any:
    plan = _plan(proc)
    at = max(1, min(at, len(plan)))
    shown = step or plan[at - 1]
    ctx = dossier_form.form_context(proc, values, errors=errors, **kw)
    if shown.kind == "form":
        ctx["form"] = list(shown.fields)
    step_of = {f.name: n for n, st in enumerate(plan, 1) for f in st.fields}
    return render(
        "kiosk/file.html",
        upload_url=url_for("kiosk.upload"),
        thumb_url=_thumb_url,
        step=shown,
        at=at,
        plan=plan,
        from_review=review and shown.kind not in ("review", "all"),
        total=len(plan),
        step_of=step_of,
        papers_at=next((n for n, st in enumerate(plan, 1) if st.kind == "papers"), 0),
        all_fields=catalog.form_of(proc),
        papers=_papers(proc, values) if shown.kind in ("review", "papers") else [],
        fee=_fee(proc) if shown.kind == "review" else None,
        **ctx,
    )


@bp.get("/file")
def file_pick() -> Any:
    q = request.args.get("q", "")[:200]
    return render("kiosk/file_pick.html", items=catalog.fileable(db(), q), q=q)


@bp.get("/file/<code>")
def file_form(code: str) -> Any:
    proc = _procedure(code)
    at = request.args.get("step", "1")
    at_n = int(at) if at.isdigit() and len(at) < 4 else 1
    return _page(proc, at_n, _draft(proc), review=request.args.get("review") == "1")


@bp.post("/file/<code>/scan")
def file_scan(code: str) -> Any:
    """The CCCD's QR code, typed by the scanner on the card step (htmx; without JavaScript the
    step's own post carries it): what the step had typed, then the card's values over it."""
    proc = _procedure(code)
    values = _draft(proc)
    _merge(values, request.form, Step("card"))
    return _scanned(proc, values, request.form.get("scan", ""))


def _scanned(proc: Any, values: MultiDict[str, str], text: str) -> Any:
    result = dossier_form.scan(text, proc)
    for key, value in result.values.items():
        values[key] = value
    _keep(proc, values)
    return _page(proc, 1, values, scan_message=result.message, scan_ok=result.ok)


@bp.post("/file/<code>")
def file_submit(code: str) -> Any:
    proc = _procedure(code)
    plan = _plan(proc)
    values = _draft(proc)
    raw_at = request.form.get("at", "")
    if not raw_at.isdigit() or len(raw_at) > 3:  # the whole form at once
        _merge(values, request.form, Step("all"))
        if request.form.get("idempotency_key"):
            values["idempotency_key"] = request.form["idempotency_key"][:64]
        _keep(proc, values)
        legacy = request.form.get("step", "review")
        if legacy == "edit":
            return _page(proc, 1, values)
        if legacy == "submit":
            return _file(proc, plan, values)
        errors = _errors(proc, values)
        if errors:
            return _page(proc, 1, values, errors=errors, step=Step("all")), 422
        return _page(proc, len(plan), values)
    at = max(1, min(int(raw_at), len(plan)))
    step = plan[at - 1]
    review = request.form.get("review") == "1"  # a "Sửa" from the check-your-answers page
    _merge(values, request.form, step)
    if step.kind == "papers":  # files posted with the step itself (no JavaScript)
        refused = _posted_papers(proc, values)
        if refused:
            _keep(proc, values)
            return _page(proc, at, values, errors=refused, review=review), 422
    if step.kind == "card" and request.form.get("scan", "").strip():
        return _scanned(proc, values, request.form["scan"])
    _keep(proc, values)
    go = request.form.get("go", "next")
    if review and go in ("next", "back") and step.kind != "review":
        return _back_to_review(proc, plan, values, at, step)
    if go == "back":
        return redirect(url_for("kiosk.file_form", code=proc.code, step=max(1, at - 1)), 303)
    if go == "submit" and step.kind == "review":
        return _file(proc, plan, values)
    errors = {k: v for k, v in _errors(proc, values).items() if _error_on(step, k)}
    if errors:
        return _page(proc, at, values, errors=errors), 422
    return redirect(url_for("kiosk.file_form", code=proc.code, step=at + 1), 303)


def _back_to_review(
    proc: Any, plan: list[Step], values: MultiDict[str, str], at: int, step: Step
) -> Any:
    """After a "Sửa" (GOV.UK's check-answers pattern): the step mended goes straight back to
    the check-your-answers page, unless it still has an error (shown on it) or the change
    made another step wrong (then that step, still on its way back to the review)."""
    errors = _errors(proc, values)
    mine = {k: v for k, v in errors.items() if _error_on(step, k)}
    if mine:
        return _page(proc, at, values, errors=mine, review=True), 422
    wrong = next((n for n, st in enumerate(plan, 1) if any(_error_on(st, k) for k in errors)), None)
    if wrong is not None and wrong != at:
        return redirect(url_for("kiosk.file_form", code=proc.code, step=wrong, review=1), 303)
    return redirect(url_for("kiosk.file_form", code=proc.code, step=len(plan)), 303)


def _posted_papers(proc: Any, values: MultiDict[str, str]) -> dict[str, str]:
    """The papers step's files posted with the form (without JavaScript) into the draft, each
    in place of what its paper had; the refused ones' messages, by paper."""
    kept, refused = dossier_form.store_posted_files(_owner())
    for i, up in kept.items():
        if i < len(proc.documents):
            values[f"doc.{i}"] = up.id
            values.poplist(f"consent.{i}")
    return {
        f"documents.{proc.documents[i].name}": f"{proc.documents[i].name}: {message}"
        for i, message in refused.items()
        if i < len(proc.documents)
    }


def _file(proc: Any, plan: list[Step], values: MultiDict[str, str]) -> Any:
    """File the draft: the receipt, or the first step with something to mend."""
    posted = dossier_form.read(values, proc)
    errors = dict(posted.errors)
    errors.update(dossier_form.reuse_consented(db(), posted, proc, _owner(), None))
    papers = dossiers.Papers(files=tuple(posted.wanted), owner=_owner(), limits=upload_limits())
    got = None
    if not errors:
        printer = dossier_form.kiosk_printer(request.cookies.get(STATION_COOKIE))
        try:
            got = dossiers.receive(
                db(), proc, posted.applicant, channel="online",
                site_code=current_app.config["SITE_CODE"], fields=posted.fields, papers=papers,
                idempotency_key=values.get("idempotency_key", "")[:64] or None, tz=site_tz(),
                print_on=dossier_form.receipt_print(printer), caller=_owner(),
            )  # fmt: skip
        except idempotency.Conflict:
            again, errors = dossier_form.used_key(posted.values)
            _keep(proc, again)
            return _page(proc, len(plan), again, errors=errors), 409
        except dossiers.DossierError as exc:
            errors = dict(exc.errors)
    if got is None:
        at = next(
            (n for n, st in enumerate(plan, 1) if any(_error_on(st, k) for k in errors)),
            len(plan),
        )
        return _page(proc, at, values, errors=errors), 422
    token = session.pop("draft", None)
    if token:
        drafts.discard(draft_folder(), str(token))
    filed = [c for c in session.get("filed", []) if c != got.dossier.code][-4:]
    session["filed"] = [*filed, got.dossier.code]
    return redirect(url_for("kiosk.file_done", code=got.dossier.code), 303)


@bp.get("/file/done/<code>")
def file_done(code: str) -> Any:
    if code not in session.get("filed", []):
        abort(404)
    found = dossiers.find(db(), code)
    if found is None:
        abort(404)
    link = dossier_form.receipt_print(dossier_form.kiosk_printer(None)).link(found.code)
    tz = site_tz()
    return render(
        "kiosk/file_done.html",
        dossier=found,
        link=link,
        qr=qr_svg(link),
        due=local(found.due_at, tz) if found.due_at else None,
        received=local(found.received_at, tz),
        next_steps=dossiers.next_steps(
            found.status, local(found.due_at, tz).date() if found.due_at else None, follow=True
        ),
        **unpaid_qr(found),
    )


# ---------------------------------------------------------------- uploads from the kiosk


@bp.post("/uploads")
def upload() -> Any:
    try:
        up = dossier_form.store_request_file(_owner())
    except uploads.UploadRefused as exc:
        return jsonify({"error": {"code": "upload_refused", "message": str(exc)}}), exc.status
    return jsonify(
        {"id": up.id, "pages": up.pages, "size": up.size, "thumb": _thumb_url(up.id)}
    ), 201


@bp.get("/uploads/<upload_id>/thumb")
def upload_thumb(upload_id: str) -> Any:
    up = uploads.get(db(), upload_id)
    if up is None or not uploads.may_see(up, _owner()):
        abort(404)
    png = uploads.thumbnail(upload_folder(), up)
    resp = current_app.response_class(png, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=600"
    return resp


# ---------------------------------------------------------------- Tra cứu hồ sơ

#: A dossier code inside what a scanner typed (the status page address on a receipt).
CODE_IN = re.compile(r"([0-9A-Z]{2,4}(?:\.[0-9A-Z]{2,4}){3}-[0-9]{6}-[0-9]{4,})", re.I)


def code_from_scan(raw: str) -> str:
    """The dossier code a citizen typed, or the one inside a receipt's scanned QR address."""
    found = CODE_IN.search(raw[:300])
    return found.group(1).upper() if found else raw.strip()[:64]


@bp.route("/status", methods=["GET", "POST"])
def status() -> Any:
    """A dossier's status at the kiosk: the code typed, or the receipt's QR code scanned (the
    scanner types the status page's address, the code is taken from it)."""
    code = code_from_scan(request.values.get("code", ""))
    if request.method == "GET" or not code:
        return render("kiosk/status.html", code=code, message="")
    dossier, message = check_status(code, request.form.get("verify", ""))
    if dossier is None:
        return render("kiosk/status.html", code=code, message=message), 404
    return render("kiosk/status.html", code=dossier.code, rating_source="kiosk",
                  **status_context(dossier))  # fmt: skip
