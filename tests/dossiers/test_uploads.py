"""Uploads: checked by content, size-capped, stored under random names outside static/,
thumbnails of PDFs and images at a bounded cost whatever the file says, a quota per address for
anonymous uploads, recovery after a crash (also when the app starts), expiry, and reuse with
consent, by an officer at a counter only."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain.accounts import create_user
from kiosk.domain.dossiers import previews, uploads
from kiosk.models import AuditEntry, Dossier, Upload
from tests.builders import csrf, sample_image, sample_pdf, sign_in, store_upload, valid
from tests.hostile_files import page_pdf, png16

SMALL = uploads.Limits(per_file=200_000, per_dossier=300_000)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.exists() else []


@pytest.mark.parametrize(
    ("data", "media", "pages"),
    [
        (sample_pdf(pages=3), "application/pdf", 3),
        (sample_image("JPEG"), "image/jpeg", 1),
        (sample_image("PNG"), "image/png", 1),
    ],
)
def test_real_files_are_kept_under_random_names(
    session: Session, folder: Path, data: bytes, media: str, pages: int
) -> None:
    up = store_upload(session, folder, data, name="../../etc/Giấy khai sinh\x07.pdf")
    assert (up.media_type, up.pages, up.size) == (media, pages, len(data))
    assert up.original_name == "Giấy khai sinh.pdf"
    assert files(folder) == [up.stored_name]
    assert len(up.stored_name) == 32 and "." not in up.stored_name
    assert (folder / up.stored_name).read_bytes() == data
    thumb = uploads.thumbnail(folder, up)
    with Image.open(io.BytesIO(thumb)) as img:
        assert img.format == "PNG" and img.width <= 240 and img.height > 0
    assert uploads.thumbnail(folder, up) == thumb  # made once, kept in thumbs/


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"MZ\x90\x00\x03" + os.urandom(2000), 415, "Chỉ nhận tệp PDF, JPEG hoặc PNG"),
        (b"#!/bin/sh\nrm -rf /\n", 415, "Chỉ nhận tệp PDF, JPEG hoặc PNG"),
        (b"%PDF-1.7\n" + os.urandom(3000), 422, "Tệp PDF bị hỏng"),
        (sample_image("JPEG")[:200], 422, "Ảnh bị hỏng"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(500), 422, "Ảnh bị hỏng"),
        (b"", 400, "Tệp rỗng"),
        (sample_pdf(0.4), 413, "Tệp lớn quá 0,2 MB"),
    ],
)
def test_fakes_broken_and_oversized_files_are_refused_and_leave_nothing(
    session: Session, folder: Path, data: bytes, status: int, message: str
) -> None:
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.store(
            session, folder, io.BytesIO(data), original_name="ho-so.pdf", owner="kiosk:x",
            limits=SMALL,
        )  # fmt: skip
    assert refused.value.status == status
    assert str(refused.value).startswith(message)
    assert files(folder) == []
    assert session.scalar(select(Upload)) is None


def test_a_dossier_over_its_limit_or_with_foreign_files_is_refused(
    session: Session, folder: Path
) -> None:
    a = store_upload(session, folder, sample_pdf(0.19))
    b = store_upload(session, folder, sample_pdf(0.19))
    theirs = store_upload(session, folder, sample_pdf(), owner="kiosk:someone-else")
    wanted = [uploads.Wanted("Tờ khai", a.id), uploads.Wanted("Giấy chứng sinh", b.id)]
    _, errors = uploads.check_attachable(session, wanted, owner="kiosk:test", limits=SMALL)
    assert errors == {"documents": "Các tệp của hồ sơ vượt 0,3 MB (giới hạn mỗi hồ sơ)."}
    _, errors = uploads.check_attachable(
        session,
        [uploads.Wanted("Tờ khai", theirs.id), uploads.Wanted("Khác", "not-a-uuid")],
        owner="kiosk:test",
        limits=SMALL,
        required=["Giấy chứng sinh"],
    )
    assert set(errors) == {"Tờ khai", "Khác", "Giấy chứng sinh"}
    assert errors["Giấy chứng sinh"] == "Thiếu giấy tờ bắt buộc này."


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return int(proc.stdout)


def test_recover_puts_right_what_a_crash_left(session: Session, folder: Path) -> None:
    kept = store_upload(session, folder, sample_pdf())
    dead = _dead_pid()
    # Row committed, rename not done: the part is finished.
    committed = store_upload(session, folder, sample_pdf())
    os.replace(folder / committed.stored_name, folder / f"{committed.stored_name}.part-{dead}")
    # Killed while copying: a part with no row.
    (folder / f"{'a' * 32}.part-{dead}").write_bytes(b"%PDF-half")
    # A file with no row.
    (folder / ("b" * 32)).write_bytes(b"stray")
    # A live writer's part is left alone.
    live = folder / f"{'c' * 32}.part-{os.getpid()}"
    live.write_bytes(b"%PDF-writing")
    done = uploads.recover(session, folder)
    assert (done.finished, done.removed) == (1, 2)
    assert files(folder) == sorted([kept.stored_name, committed.stored_name, live.name])


def test_a_killed_writer_left_unreaped_counts_as_dead(session: Session, folder: Path) -> None:
    """A worker killed with its group is a zombie until reaped, and a zombie still answers
    kill(pid, 0); its part must be put right all the same."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # exited, not yet waited for: a zombie
        state = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            break
        time.sleep(0.02)
    try:
        assert state == "Z"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{'d' * 32}.part-{child.pid}").write_bytes(b"%PDF-half")
        assert uploads.recover(session, folder).removed == 1
        assert files(folder) == []
    finally:
        child.wait()


def test_unfiled_uploads_expire_and_shared_files_stay(session: Session, folder: Path) -> None:
    old = dt.datetime(2020, 1, 1)
    stale = store_upload(session, folder, sample_pdf())
    stale.created_at = old
    filed = store_upload(session, folder, sample_pdf())
    filed.created_at = old
    session.add(_dossier("d1", old))
    session.flush()
    uploads.attach([("Tờ khai", filed)], session.get(Dossier, "d1"))  # type: ignore[arg-type]
    session.commit()
    officer = create_user(session, "canbo", "mat-khau-dai-1", "officer")
    # Reused for a new dossier, then never filed: the file stays for the first dossier.
    copy = uploads.reuse(session, filed, actor=officer, citizen=citizen(), owner="user:1")
    copy.created_at = old
    session.commit()
    with pytest.raises(uploads.UploadRefused):
        other = citizen(cccd="001190000999")
        uploads.reuse(session, filed, actor=officer, citizen=other, owner="user:1")
    assert uploads.expire(session, folder, dt.timedelta(hours=24)) == 2
    assert files(folder) == [filed.stored_name]
    assert [u.id for u in session.scalars(select(Upload))] == [filed.id]
    assert [u.id for u in uploads.reusable(session, officer, citizen()).values()] == [filed.id]


CCCD, NAME, BIRTH = "001190000123", "Nguyễn Văn A", dt.date(1990, 1, 19)


def citizen(cccd: str = CCCD, name: str = NAME, birth: dt.date | None = BIRTH) -> Any:
    return uploads.Citizen(cccd, name, birth)


def _dossier(ident: str, at: dt.datetime) -> Dossier:
    return Dossier(
        id=ident, code=f"000.00.01.H29-201231-{ident[-4:]:0>4}", site_code="000.00.01.H29",
        unit="x", procedure_code="1", procedure_name="x", channel="online",
        applicant_name=NAME, applicant_cccd=CCCD, applicant_birth_date=BIRTH,
        status="registered", processing_days=1, received_at=at,
    )  # fmt: skip


def test_papers_are_reused_by_an_officer_who_sees_the_card_and_by_no_one_else(
    session: Session, folder: Path
) -> None:
    """The card's number, name and birth date are printed on it and often photocopied: knowing
    them is no proof. The kiosk (no one signed in), an agent and a processing officer are
    offered nothing and can reuse nothing; an officer at a counter can, for the same citizen."""
    filed = store_upload(session, folder, sample_pdf())
    session.add(_dossier("d1", dt.datetime(2026, 1, 5)))
    session.flush()
    uploads.attach([("Tờ khai", filed)], session.get(Dossier, "d1"))  # type: ignore[arg-type]
    session.commit()
    officer = create_user(session, "canbo", "mat-khau-dai-1", "officer")
    processor = create_user(session, "xuly", "mat-khau-dai-2", "processor")
    from kiosk.domain.accounts.branches import create_branch

    create_branch(session, "BIDV-GL", bank="BIDV", name="BIDV Gia Lai")
    agent = create_user(session, "daily", "mat-khau-dai-3", "agent", branch_code="BIDV-GL")
    for nobody in (None, agent, processor):
        assert uploads.reusable(session, nobody, citizen()) == {}
        with pytest.raises(uploads.UploadRefused) as refused:
            uploads.reuse(session, filed, actor=nobody, citizen=citizen(), owner="kiosk:x")
        assert refused.value.status == 403 and "tại quầy tiếp nhận" in str(refused.value)
    assert session.scalar(select(Upload).where(Upload.reused_from_id.is_not(None))) is None
    # The officer: only for the citizen the card names (number, name and birth date).
    assert list(uploads.reusable(session, officer, citizen())) == ["Tờ khai"]
    for other in (
        citizen(name="Người Khác"),
        citizen(birth=dt.date(1990, 1, 20)),
        citizen(birth=None),
    ):
        assert uploads.reusable(session, officer, other) == {}
        with pytest.raises(uploads.UploadRefused):
            uploads.reuse(session, filed, actor=officer, citizen=other, owner="user:1")
    same = citizen(name="  nguyễn  văn a ")
    copy = uploads.reuse(session, filed, actor=officer, citizen=same, owner="user:1")
    assert copy.stored_name == filed.stored_name and copy.reused_from_id == filed.id
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "upload.reuse"))
    assert entry is not None and entry.actor_id == officer.id and entry.detail == "Tờ khai"


def test_the_same_citizen_rule_is_the_domains_whatever_way_the_number_is_written(
    session: Session, folder: Path
) -> None:
    """The number as the form was typed (with dots, dashes or spaces, as receiving accepts and
    keeps without them) finds the citizen's papers; the same number with another name or birth
    date is refused by `uploads.reuse` itself, not only by the form."""
    filed = store_upload(session, folder, sample_pdf())
    session.add(_dossier("d1", dt.datetime(2026, 1, 5)))
    session.flush()
    uploads.attach([("Tờ khai", filed)], session.get(Dossier, "d1"))  # type: ignore[arg-type]
    session.commit()
    officer = create_user(session, "canbo", "mat-khau-dai-1", "officer")
    for typed in ("001.190.000.123", "001-190-000-123", " 001 190 000 123 "):
        assert list(uploads.reusable(session, officer, citizen(cccd=typed))) == ["Tờ khai"]
        copy = uploads.reuse(session, filed, actor=officer, citizen=citizen(cccd=typed), owner="u")
        assert copy.reused_from_id == filed.id
        for other in (citizen(cccd=typed, name="Nguyễn Văn B"),
                      citizen(cccd=typed, birth=dt.date(1991, 1, 19))):  # fmt: skip
            assert not uploads.same_citizen(session.get(Dossier, "d1"), other)
            with pytest.raises(uploads.UploadRefused) as refused:
                uploads.reuse(session, filed, actor=officer, citizen=other, owner="u")
            assert refused.value.status == 404


# ---------------------------------------------------------------- hostile files


def _peak_kb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (200, 14_400_000),  # 5 km tall: 16.6 s and 5.1 GB for its thumbnail, before
        (14_401, 842),  # beyond the PDF's own limit
        (595, 20),  # 7 mm
        (100, 2_100),  # 21 times longer than wide
    ],
)
def test_a_page_no_paper_has_is_refused_at_upload(
    session: Session, folder: Path, width: int, height: int
) -> None:
    with pytest.raises(uploads.UploadRefused) as refused:
        store_upload(session, folder, page_pdf(width, height))
    assert refused.value.status == 422
    assert str(refused.value).startswith("Trang 1 của tệp PDF có khổ bất thường")
    assert files(folder) == []
    # A long receipt (80 mm × 1.4 m) and A3 landscape are papers.
    for w, h in ((226, 4_000), (1_191, 842)):
        assert store_upload(session, folder, page_pdf(w, h)).pages == 1


def test_a_thumbnail_costs_a_bounded_box_whatever_the_page_says(
    session: Session, folder: Path
) -> None:
    """A file kept before pages were checked: its thumbnail, asked by staff, costs a fixed box,
    drawn in a child process, not a bitmap as tall as the page in the web worker (before: 7 s
    and 2.8 GB for this page, a tenth of the one seen)."""
    up = store_upload(session, folder, sample_pdf())
    (folder / up.stored_name).write_bytes(page_pdf(200, 1_440_000))
    peak, start = _peak_kb(), time.monotonic()
    png = uploads.thumbnail(folder, up)
    assert time.monotonic() - start < 5
    assert _peak_kb() - peak < 100_000
    with Image.open(io.BytesIO(png)) as img:
        assert img.format == "PNG" and img.width <= 240 and img.height <= 480


def test_an_image_of_too_many_pixels_is_refused_by_its_header(
    session: Session, folder: Path
) -> None:
    """60 megapixels at 16 bits: 1.5 MB on disk, 400 MB and a second once decoded (before,
    in the worker, for every anonymous upload)."""
    data = png16(10_000, 6_000)
    peak, start = _peak_kb(), time.monotonic()
    with pytest.raises(uploads.UploadRefused) as refused:
        store_upload(session, folder, data, name="anh.png")
    assert time.monotonic() - start < 1
    assert _peak_kb() - peak < 50_000
    assert refused.value.status == 413
    assert str(refused.value).startswith("Ảnh quá lớn (10000 × 6000 điểm ảnh, quá 40 triệu")
    assert files(folder) == []


def test_a_large_image_is_decoded_outside_the_worker(session: Session, folder: Path) -> None:
    """40 megapixels of 16-bit RGBA (330 MB decoded) is a scan we take: it is decoded once, in
    the bounded child that also draws its preview, and the worker's memory does not grow."""
    data = png16(8_000, 4_990, alpha=True)
    peak = _peak_kb()
    up = store_upload(session, folder, data, name="scan.png")
    assert _peak_kb() - peak < 100_000
    assert (up.media_type, up.pages) == ("image/png", 1)
    kept = folder / "thumbs" / f"{up.stored_name}-240.png"
    assert kept.exists()  # made at upload, by the same child
    assert uploads.thumbnail(folder, up) == kept.read_bytes()


def test_a_file_that_cannot_be_drawn_in_bounds_gets_the_no_preview_icon(
    session: Session, folder: Path
) -> None:
    big = folder.parent / "big.png"
    big.write_bytes(png16(8_000, 4_990, alpha=True))
    with pytest.raises(previews.TooCostly):  # out of memory in the child
        previews.render(big, "image/png", previews.Limits(memory=200 * 1024 * 1024))
    with pytest.raises(previews.TooCostly):  # out of time
        previews.render(big, "image/png", previews.Limits(wall_seconds=0.05))
    # A stored image damaged since: the icon, kept, so asking again costs nothing.
    up = store_upload(session, folder, sample_image("PNG", side=400), name="anh.png")
    (folder / "thumbs" / f"{up.stored_name}-240.png").unlink()
    (folder / up.stored_name).write_bytes(sample_image("PNG", side=400)[:300])
    assert uploads.thumbnail(folder, up) == previews.placeholder()
    assert (folder / "thumbs" / f"{up.stored_name}-240.png").read_bytes() == previews.placeholder()


def test_previews_take_turns_and_a_caller_kept_waiting_is_told_so(
    session: Session, folder: Path
) -> None:
    """Many uploads at once do not start a child each: a process runs `AT_ONCE`, the others
    wait their turn; one kept waiting too long is told to come back (and its icon not kept)."""
    up = store_upload(session, folder, sample_pdf())
    for _ in range(previews.AT_ONCE):
        assert previews._turns.acquire(timeout=1)
    try:
        hurry = previews.Limits(wall_seconds=0.2)
        with pytest.raises(previews.Busy):
            previews.render(folder / up.stored_name, up.media_type, hurry)
        assert uploads.thumbnail(folder, up, hurry) == previews.placeholder()
        assert not (folder / "thumbs" / f"{up.stored_name}-240.png").exists()
    finally:
        for _ in range(previews.AT_ONCE):
            previews._turns.release()
    assert uploads.thumbnail(folder, up) != previews.placeholder()


def test_anonymous_uploads_have_a_quota_per_address(db_url: str, tmp_path: Path) -> None:
    from kiosk import create_app

    app = create_app({
        "TESTING": True, "INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": db_url,
        "SECRET_KEY": "x", "ANONYMOUS_UPLOADS_PER_HOUR": 3, "ANONYMOUS_UPLOAD_MB_PER_HOUR": 0.5,
    })  # fmt: skip
    try:
        kiosk = app.test_client()
        token = csrf(kiosk, "/kiosk/")

        def send(client: Any, url: str, data: bytes, ip: str, token: str = "") -> Any:
            return client.post(
                url, data={"file": (io.BytesIO(data), "giay-to.pdf")},
                headers={"X-CSRFToken": token} if token else {},
                content_type="multipart/form-data", environ_base={"REMOTE_ADDR": ip},
            )  # fmt: skip

        small = sample_pdf()
        for _ in range(3):
            assert send(kiosk, "/kiosk/uploads", small, "10.0.0.1", token).status_code == 201
        r = send(kiosk, "/kiosk/uploads", small, "10.0.0.1", token)
        assert r.status_code == 429
        message = r.get_json()["error"]["message"]
        assert message.startswith("Máy này đã tải lên quá nhiều tệp trong một giờ (tối đa 3 tệp")
        # The API without a token counts against the same address.
        api = app.test_client()
        r = send(api, "/api/v1/uploads", small, "10.0.0.1")
        assert r.status_code == 429
        valid(r.get_json(), "/uploads", "post", 429)
        # Another address has its own; bytes count too (0.5 MB an hour here).
        assert send(api, "/api/v1/uploads", sample_pdf(0.3), "10.0.0.2").status_code == 201
        r = send(api, "/api/v1/uploads", sample_pdf(0.3), "10.0.0.2")
        assert r.status_code == 429 and "0,5 MB" in r.get_json()["error"]["message"]
        # Staff, signed in, are not counted.
        with app.app_context():
            s = app.extensions["kiosk.sessionmaker"]()
            create_user(s, "canbo", "mat-khau-dai-1", "officer")
            s.close()
        office = app.test_client()
        sign_in(office, "canbo", "mat-khau-dai-1")
        otoken = csrf(office, "/office/")
        for _ in range(4):
            assert send(office, "/office/uploads", small, "10.0.0.1", otoken).status_code == 201
    finally:
        app.extensions["kiosk.engine"].dispose()


# ---------------------------------------------------------------- recovery when the app starts


def test_the_app_finishes_a_cut_upload_when_it_starts(db_url: str, tmp_path: Path) -> None:
    """An upload cut between its row's commit and its file's rename is finished when the app
    starts (gunicorn's master loads it once before forking), not only by `kiosk uploads
    sweep`; the part of a writer that died before committing is removed. A file without a row
    is left to the sweep: an app started on the wrong database must not delete the papers."""
    from kiosk import create_app

    config = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": db_url,
              "SECRET_KEY": "x"}  # fmt: skip
    app = create_app(config)
    folder = tmp_path / "i" / "uploads"
    s = app.extensions["kiosk.sessionmaker"]()
    try:
        cut = store_upload(s, folder, sample_pdf())
    finally:
        s.close()
        app.extensions["kiosk.engine"].dispose()
    dead = _dead_pid()
    os.replace(folder / cut.stored_name, folder / f"{cut.stored_name}.part-{dead}")
    (folder / f"{'a' * 32}.part-{dead}").write_bytes(b"%PDF-half")
    (folder / ("b" * 32)).write_bytes(b"no row")
    live = folder / f"{'c' * 32}.part-{os.getpid()}"
    live.write_bytes(b"%PDF-writing")
    again = create_app(config)
    again.extensions["kiosk.engine"].dispose()
    assert files(folder) == sorted([cut.stored_name, "b" * 32, live.name])
