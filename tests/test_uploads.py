"""Uploads: checked by content, size-capped, stored under random names outside static/,
thumbnails of PDFs and images, recovery after a crash, expiry, and reuse with consent."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain import uploads
from kiosk.models import Dossier, Upload

from .conftest import sample_image, sample_pdf, store_upload

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
    dossier = Dossier(
        id="d1", code="000.00.01.H29-201231-0001", site_code="000.00.01.H29", unit="x",
        procedure_code="1", procedure_name="x", channel="online", applicant_name="A",
        applicant_cccd="001190000123", status="registered", processing_days=1,
        received_at=old,
    )  # fmt: skip
    session.add(dossier)
    session.flush()
    uploads.attach([("Tờ khai", filed)], dossier)
    session.commit()
    # Reused for a new dossier, then never filed: the file stays for the first dossier.
    copy = uploads.reuse(session, filed, owner="kiosk:test", cccd="001190000123")
    copy.created_at = old
    session.commit()
    with pytest.raises(uploads.UploadRefused):
        uploads.reuse(session, filed, owner="kiosk:test", cccd="001190000999")
    assert uploads.expire(session, folder, dt.timedelta(hours=24)) == 2
    assert files(folder) == [filed.stored_name]
    assert [u.id for u in session.scalars(select(Upload))] == [filed.id]
    assert [u.id for u in uploads.reusable(session, "001190000123")] == [filed.id]
