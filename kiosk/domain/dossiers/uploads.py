"""Uploaded papers (*thành phần hồ sơ* scanned, photographed or sent as files) and digitized
results: checked by content, stored outside `static/` under random names, and never half-kept.

**Checked by content.** The first bytes must be those of a PDF, a JPEG or a PNG, whatever the
file is called; then a PDF must open in PDFium and have pages of a size some paper has (each
side at most the PDF's own 14,400 units, and at most 20 times the other), and an image must be
at most `MAX_PIXELS` by its header and then decode in full, in a child process with bounded
memory and time (`previews`), which also draws its preview. Anything else is refused with a
message in plain Vietnamese. Anonymous uploads (the kiosk, the API without a token) are also
counted per client address and hour (`charge`).

**Stored in three steps**, so that a crash at any moment leaves either the whole upload or
nothing:
1. the bytes go to `<id>.part-<pid>` in the upload folder, counted on the way (over the limit,
   the copy stops and the part is removed) and flushed to disk;
2. the row is committed;
3. the part is renamed to its final name, `<id>` (no extension, nothing guessable).

`recover` puts right what a crash left: a part whose writer is dead is finished (its row was
committed) or removed (it was not), and a file with no row is removed. Its first half runs when
the app starts (`kiosk.app.create_app`, once in gunicorn's master before the workers fork) and
when gunicorn sees a worker die (`kiosk.gunicorn_conf.child_exit`); the whole of it in
`kiosk uploads sweep` and `kiosk serve`. It is safe while other processes upload, since it only
touches parts of dead writers and files renamed after their row was committed.

**Kept until attached.** An upload belongs to no dossier until one is received with it
(`attach`, in the dossier's own transaction). One never attached expires after
`UPLOAD_KEEP_HOURS` (`expire`). A document digitized for an earlier dossier of the same citizen
can be reused (`reuse`), only by an officer at a counter who sees the citizen's card
(`may_reuse`), never at the kiosk or by an agent: the new row points at the same stored file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ...models import Dossier, Upload, User
from ..accounts import audit, throttle
from ..accounts.roles import can
from ..citizen_id import clean_number
from ..clock import utcnow
from ..text import N_
from . import previews

MEDIA_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
#: Larger images are refused, read from the header before decoding: a scanned A4 page at 600
#: dpi is about 35 million pixels (140 MB decoded; a 16-bit RGBA PNG of 40 million, 330 MB).
MAX_PIXELS = previews.MAX_PIXELS
#: A PDF page's sides, in PDF units (1/72 inch): the PDF specification's largest (200 inches)
#: and 1/2 inch; and how many times longer than wide a page may be (a long receipt, 20).
MAX_PAGE_SIDE = 14_400
MIN_PAGE_SIDE = 36
MAX_ASPECT = 20
RESULT = "ket_qua"
#: The citizen's signed authorization of an agent (*giấy ủy quyền*), kept with the dossier.
CONSENT = "giay_uy_quyen"
#: The proof of a reduced fee (e.g. a certificate of a person with revolutionary merit), asked
#: for as one more paper when an agent or a counter officer picks a reduced fee rule.
FEE_PROOF = "giay_to_giam_phi"
#: What staff read for the files kept under those names; they are not the citizen's papers.
NOT_PAPERS: dict[str, str] = {RESULT: N_("Kết quả đã số hóa"), CONSENT: N_("Giấy ủy quyền")}
#: Every kept file's name that is not in a procedure's list, as staff read it.
LABELS: dict[str, str] = {**NOT_PAPERS, FEE_PROOF: N_("Giấy tờ chứng minh được giảm phí")}


def document_label(name: str) -> str:
    """A kept file's name as staff read it: the paper's own name, or what the result, the
    authorization and a reduced fee's proof are called (`LABELS`, Vietnamese; surfaces
    translate)."""
    return LABELS.get(name, name)


CHUNK = 1 << 16
_PART = re.compile(r"^([0-9a-f]{32})\.part-([0-9]+)$")
_FINAL = re.compile(r"^[0-9a-f]{32}$")


class UploadRefused(ValueError):
    """A file that cannot be kept; the message says why, in Vietnamese."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """Per file and per dossier, in bytes."""

    per_file: int
    per_dossier: int

    @classmethod
    def from_mb(cls, per_file: float, per_dossier: float) -> Limits:
        return cls(int(per_file * 1024 * 1024), int(per_dossier * 1024 * 1024))


@dataclass(frozen=True)
class Quota:
    """What one client address may upload anonymously within `window`: files and bytes."""

    files: int
    size: int
    window: dt.timedelta = dt.timedelta(hours=1)

    @classmethod
    def from_mb(cls, files: int, megabytes: float) -> Quota:
        return cls(files, int(megabytes * 1024 * 1024))


def charge(
    session: Session, client: str, size: int, quota: Quota, now: dt.datetime | None = None
) -> None:
    """Count an anonymous upload of `size` bytes (as announced, before it is read) against the
    quota of the client address `client`; UploadRefused (429) when it would pass the files or
    the bytes of the last `quota.window`. A refused or broken file counts all the same: it was
    work for the server."""
    if not throttle.allow(
        session, "upload", client or "?", quota.files, quota.window, now,
        cost=max(size, 0), budget=quota.size,
    ):  # fmt: skip
        raise UploadRefused(
            f"Máy này đã tải lên quá nhiều tệp trong một giờ (tối đa {quota.files} tệp, "
            f"{megabytes(quota.size)}). Vui lòng thử lại sau hoặc nhờ cán bộ tại quầy hỗ trợ.",
            429,
        )


def megabytes(size: int) -> str:
    """`10 MB`, `2,5 MB`: a size as a Vietnamese screen writes it."""
    mb = size / (1024 * 1024)
    text = f"{mb:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + " MB"


def sniff(head: bytes) -> str | None:
    """The media type the first bytes announce, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def inspect(path: Path) -> tuple[str, int]:
    """(media type, pages) of a stored file, or UploadRefused saying what is wrong. Only what
    the headers say is read here, in the worker: a PDF's page count and page sizes, an image's
    size in pixels. An image is decoded in full by `verify`, in a bounded child process."""
    with path.open("rb") as f:
        media = sniff(f.read(16))
    if media is None:
        raise UploadRefused("Chỉ nhận tệp PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp).", 415)
    if media == "application/pdf":
        import pypdfium2

        try:
            pdf = pypdfium2.PdfDocument(str(path))
        except pypdfium2.PdfiumError as exc:
            message = "Tệp PDF bị hỏng hoặc có mật khẩu, không mở được."
            raise UploadRefused(message, 422) from exc
        try:
            pages = len(pdf)
            for i in range(pages):
                _check_page(i + 1, *pdf.get_page_size(i))
        finally:
            pdf.close()
        if pages < 1:
            raise UploadRefused("Tệp PDF không có trang nào.", 422)
        return media, pages
    from PIL import Image

    try:
        with Image.open(path) as img:  # reads the header only
            size = img.size
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise UploadRefused("Ảnh bị hỏng, không đọc được.", 422) from exc
    if size[0] * size[1] > MAX_PIXELS:
        raise UploadRefused(
            f"Ảnh quá lớn ({size[0]} × {size[1]} điểm ảnh, quá "
            f"{MAX_PIXELS // 1_000_000} triệu điểm ảnh); hãy chụp hoặc quét lại với độ phân "
            "giải thấp hơn.",
            413,
        )
    return media, 1


def _check_page(number: int, width: float, height: float) -> None:
    """A page no paper has is refused: a side beyond the PDF's own limit (14,400 units, 5 m) or
    under 1/2 inch, or longer than `MAX_ASPECT` times its width."""
    short, long = sorted((width, height))
    if long > MAX_PAGE_SIDE or short < MIN_PAGE_SIDE or long > short * MAX_ASPECT:
        mm = f"{width * 25.4 / 72:.0f} × {height * 25.4 / 72:.0f} mm"
        raise UploadRefused(
            f"Trang {number} của tệp PDF có khổ bất thường ({mm}); hãy quét hoặc xuất lại "
            "tệp theo khổ giấy thật (A4, A3...).",
            422,
        )


def verify(path: Path, media: str) -> bytes | None:
    """An image decoded in full, in a bounded child process (`previews`): its preview, or
    UploadRefused if it does not decode or costs more than the child may spend. A PDF is not
    drawn here (None): its preview is made when first asked for."""
    if media == "application/pdf":
        return None
    try:
        return previews.render(path, media)
    except previews.Busy as exc:
        raise UploadRefused(
            "Máy chủ đang bận xử lý các tệp khác; vui lòng gửi lại tệp sau ít phút.", 503
        ) from exc
    except previews.Broken as exc:
        raise UploadRefused("Ảnh bị hỏng, không đọc được.", 422) from exc
    except previews.TooCostly as exc:
        raise UploadRefused(
            "Ảnh quá lớn hoặc quá phức tạp để xử lý; hãy chụp hoặc quét lại với độ phân giải "
            "thấp hơn.",
            413,
        ) from exc


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def store(
    session: Session,
    folder: Path,
    stream: IO[bytes],
    *,
    original_name: str,
    owner: str,
    limits: Limits,
    now: dt.datetime | None = None,
) -> Upload:
    """Keep one uploaded file (see the module's docstring); UploadRefused if it is not one."""
    folder.mkdir(parents=True, exist_ok=True)
    ident = uuid.uuid4().hex
    part = folder / f"{ident}.part-{os.getpid()}"
    digest = hashlib.sha256()
    size = 0
    try:
        with part.open("xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limits.per_file:
                    raise UploadRefused(
                        f"Tệp lớn quá {megabytes(limits.per_file)} (giới hạn mỗi tệp).", 413
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise UploadRefused("Tệp rỗng.")
        media, pages = inspect(part)
        preview = verify(part, media)
        upload = Upload(
            id=str(uuid.UUID(ident)), stored_name=ident, sha256=digest.hexdigest(), size=size,
            media_type=media, pages=pages, original_name=_clean_name(original_name),
            owner=owner[:64], created_at=now or utcnow(),
        )  # fmt: skip
        session.add(upload)
        session.commit()
    except BaseException:
        session.rollback()
        part.unlink(missing_ok=True)
        raise
    os.replace(part, folder / ident)
    _fsync_dir(folder)
    if preview is not None:
        _keep_thumbnail(folder, ident, preview)
    return upload


def _clean_name(name: str) -> str:
    """The original file name, only to show: no folders, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[-255:]


def path_of(folder: Path, upload: Upload) -> Path:
    return folder / upload.stored_name


def get(session: Session, upload_id: str) -> Upload | None:
    """The upload with this id, or None (also for an id that is not a UUID)."""
    try:
        key = str(uuid.UUID(str(upload_id)))
    except ValueError:
        return None
    return session.get(Upload, key)


def may_see(upload: Upload, owner: str, *, staff: bool = False) -> bool:
    """Staff see every upload; a kiosk session or an agent only what it sent itself and has not
    yet filed."""
    return staff or (upload.dossier_id is None and bool(owner) and upload.owner == owner)


# ---------------------------------------------------------------- attaching and reusing


@dataclass(frozen=True)
class Wanted:
    """A paper the dossier should carry, as the submitter named it."""

    name: str
    upload_id: str


def check_attachable(
    session: Session,
    wanted: Iterable[Wanted],
    *,
    owner: str,
    limits: Limits,
    required: Iterable[str] = (),
    allowed: Iterable[str] | None = None,
    staff: bool = False,
) -> tuple[list[tuple[str, Upload]], dict[str, str]]:
    """The uploads to attach, and a message per document that is wrong: unknown or foreign
    upload, already filed, one not in the procedure's list, a required paper missing, or the
    dossier over its size limit."""
    errors: dict[str, str] = {}
    found: list[tuple[str, Upload]] = []
    names = set(allowed) if allowed is not None else None
    total = 0
    seen: set[str] = set()
    for w in wanted:
        label = w.name.strip()[:255]
        upload = get(session, w.upload_id)
        if names is not None and label not in names:
            errors[label or "documents"] = f"Thủ tục này không có giấy tờ {label!r}."
            continue
        if upload is None or not may_see(upload, owner, staff=staff) or upload.dossier_id:
            errors[label] = "Không tìm thấy tệp đã tải lên cho giấy tờ này; hãy tải lại."
            continue
        if upload.id in seen:
            errors[label] = "Một tệp chỉ dùng cho một giấy tờ."
            continue
        seen.add(upload.id)
        total += upload.size
        found.append((label, upload))
    for name in required:
        if name not in {label for label, _ in found} and name not in errors:
            errors[name] = "Thiếu giấy tờ bắt buộc này."
    if total > limits.per_dossier:
        errors["documents"] = (
            f"Các tệp của hồ sơ vượt {megabytes(limits.per_dossier)} (giới hạn mỗi hồ sơ)."
        )
    return found, errors


def attach(found: list[tuple[str, Upload]], dossier: Dossier) -> None:
    """Make the uploads the dossier's, in the caller's transaction (the dossier's own), and
    mark the dossier digitized (its papers, or its result) for the service index."""
    for name, upload in found:
        upload.dossier_id = dossier.id
        upload.document_name = name
        if name == RESULT:
            dossier.result_digitized = True
        elif name != CONSENT:
            dossier.papers_digitized = True


#: Reusing a citizen's digitized papers is offered only to staff at a counter, who hold the
#: citizen's card in their hands: those who may receive a dossier and read every dossier.
REUSE_PERMISSIONS = ("dossier.receive", "dossier.read")


@dataclass(frozen=True)
class Citizen:
    """The citizen a form names, as the card shows them (the number as typed: `number` is
    the one compared)."""

    cccd: str
    full_name: str
    birth_date: dt.date | None

    @property
    def number(self) -> str:
        """The CCCD as dossiers keep it (`citizen_id.clean_number`)."""
        return clean_number(self.cccd)


def may_reuse(actor: User | None) -> bool:
    """Whether `actor` may be offered a citizen's earlier papers: an officer at a counter (who
    sees the card), never the kiosk, the API without a user, or a bank's agent. The card's
    number, name and birth date are printed on it and often photocopied: knowing them proves
    nothing, so reuse needs someone who sees the card and its holder."""
    return all(can(actor, p) for p in REUSE_PERMISSIONS)


def _fold(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def same_citizen(dossier: Dossier | None, citizen: Citizen) -> bool:
    """The rule for reusing papers: the dossier's applicant is the citizen, with the same CCCD
    number, name (letter case and spacing aside) and birth date. A number alone is not enough:
    `reusable` and `reuse` both go by this."""
    return (
        dossier is not None
        and bool(citizen.number)
        and citizen.birth_date is not None
        and dossier.applicant_cccd == citizen.number
        and dossier.applicant_birth_date == citizen.birth_date
        and _fold(dossier.applicant_name) == _fold(citizen.full_name)
    )


def reusable(session: Session, actor: User | None, citizen: Citizen) -> dict[str, Upload]:
    """The latest upload of each paper (the digitized results included) in the earlier dossiers
    of `citizen`, by document name: what `reuse` may offer instead of asking for the paper
    again. Nothing unless `actor` may reuse (`may_reuse`)."""
    if not may_reuse(actor) or not citizen.number:
        return {}
    rows = session.execute(
        select(Upload, Dossier)
        .join(Dossier, Dossier.id == Upload.dossier_id)
        .where(Dossier.applicant_cccd == citizen.number)
        .order_by(Upload.created_at.desc())
    ).all()
    latest: dict[str, Upload] = {}
    for up, dossier in rows:
        if same_citizen(dossier, citizen):
            latest.setdefault(up.document_name, up)
    return latest


def reuse(
    session: Session,
    source: Upload | None,
    *,
    actor: User | None,
    citizen: Citizen,
    owner: str,
    now: dt.datetime | None = None,
) -> Upload:
    """A new upload, owned by `owner`, of a paper digitized for `citizen` earlier, made by an
    officer at a counter (`may_reuse`); the caller has recorded the citizen's consent. The
    stored file is shared, not copied; the audit log says who reused which paper of which
    dossier. UploadRefused otherwise, saying nothing of whether the paper exists."""
    if not may_reuse(actor):
        raise UploadRefused(
            "Chỉ dùng lại giấy tờ đã số hóa tại quầy tiếp nhận, khi cán bộ xem thẻ căn cước "
            "của công dân.",
            403,
        )
    dossier = session.get(Dossier, source.dossier_id) if source and source.dossier_id else None
    if source is None or dossier is None or not same_citizen(dossier, citizen):
        raise UploadRefused("Không tìm thấy giấy tờ đã số hóa của công dân này.", 404)
    copy = Upload(
        id=str(uuid.uuid4()), stored_name=source.stored_name, sha256=source.sha256,
        size=source.size, media_type=source.media_type, pages=source.pages,
        original_name=source.original_name, owner=owner[:64], created_at=now or utcnow(),
        reused_from_id=source.id,
    )  # fmt: skip
    session.add(copy)
    audit.record(session, actor, "upload.reuse", dossier=dossier.code,
                 detail=source.document_name)  # fmt: skip
    session.commit()
    return copy


# ---------------------------------------------------------------- thumbnails


def _thumb_path(folder: Path, stored_name: str) -> Path:
    return folder / "thumbs" / f"{stored_name}-{previews.BOX[0]}.png"


def _keep_thumbnail(folder: Path, stored_name: str, png: bytes) -> None:
    cached = _thumb_path(folder, stored_name)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f"{cached.name}.part-{os.getpid()}")
    tmp.write_bytes(png)
    os.replace(tmp, cached)


def thumbnail(folder: Path, upload: Upload, limits: previews.Limits = previews.DEFAULT) -> bytes:
    """A PNG of the file's first page or of the image, at most `previews.BOX` in pixels, made
    once in a bounded child process (`previews.render`) and kept beside the uploads (in
    `thumbs/`). A file that cannot be drawn within the child's limits gets the plain "no
    preview" icon, kept too, so that asking again costs nothing."""
    cached = _thumb_path(folder, upload.stored_name)
    if cached.exists():
        return cached.read_bytes()
    try:
        data = previews.render(path_of(folder, upload), upload.media_type, limits)
    except previews.Busy:
        return previews.placeholder()  # not kept: the next ask may find a turn
    except previews.PreviewFailed:
        data = previews.placeholder()
    _keep_thumbnail(folder, upload.stored_name, data)
    return data


# ---------------------------------------------------------------- after a crash, and expiry


def _alive(pid: int) -> bool:
    """Whether the process that wrote a part may still be writing it. A worker killed with
    its group stays a zombie until someone reaps it (in a container whose first process does
    not, for good), and a zombie still answers `kill(pid, 0)`: it counts as dead."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True  # no /proc to ask: trust kill(0)
    state = stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3]
    return state not in (b"Z", b"X")


@dataclass
class Recovered:
    finished: int = 0
    removed: int = 0


def recover(session: Session, folder: Path, *, strays: bool = True) -> Recovered:
    """Put right what a crash left in the upload folder (see the module's docstring): the parts
    of dead writers, and with `strays` the files that have no row. The app does the first as
    it starts (`kiosk.app`); only `kiosk uploads sweep` (and `kiosk serve`) remove strays,
    since an app started on the wrong database would take every file for one."""
    done = Recovered()
    if not folder.is_dir():
        return done
    # The folder is read first and the rows after, in a transaction begun after: every file
    # renamed to its final name had its row committed before, so it is seen.
    entries = [e for e in folder.iterdir() if e.is_file()]
    dead: list[tuple[Path, str]] = []
    finals: list[Path] = []
    for entry in entries:
        part = _PART.match(entry.name)
        if part is not None:
            if not _alive(int(part.group(2))):
                dead.append((entry, part.group(1)))
        elif strays and _FINAL.match(entry.name):
            finals.append(entry)
    session.rollback()
    for entry, ident in dead:
        if session.scalar(select(Upload.id).where(Upload.stored_name == ident).limit(1)):
            os.replace(entry, folder / ident)
            done.finished += 1
        else:
            entry.unlink(missing_ok=True)
            done.removed += 1
    for entry in finals:
        if not session.scalar(select(Upload.id).where(Upload.stored_name == entry.name).limit(1)):
            entry.unlink(missing_ok=True)
            done.removed += 1
    session.rollback()
    if done.finished or done.removed:
        _fsync_dir(folder)
    return done


def expire(session: Session, folder: Path, older_than: dt.timedelta) -> int:
    """Remove the uploads never attached to a dossier that are older than `older_than`, with
    their files when no other row shares them; how many rows went."""
    cutoff = utcnow() - older_than
    stale = session.scalars(
        select(Upload).where(Upload.dossier_id.is_(None), Upload.created_at < cutoff)
    ).all()
    names = {u.stored_name for u in stale}
    ids = [u.id for u in stale]
    if not ids:
        return 0
    session.execute(delete(Upload).where(Upload.id.in_(ids)))
    session.commit()
    still = set(
        session.scalars(select(Upload.stored_name).where(Upload.stored_name.in_(names))).all()
    )
    for name in names - still:
        (folder / name).unlink(missing_ok=True)
        for thumb in (folder / "thumbs").glob(f"{name}-*.png"):
            thumb.unlink(missing_ok=True)
    return len(ids)
