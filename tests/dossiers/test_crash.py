"""Killing the server (kill -9, the whole process group) while citizens upload large files and
submit dossiers: after the restart nothing is half-stored. Every file in the upload folder has
its row and every row its file; no partial file is left; every dossier has all its papers; and
a submission cut off is completed by sending it again with the same idempotency key."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.builders import APPLICANT, DOCS, FIELDS, KIOSK, free_port, sample_pdf

pytestmark = pytest.mark.slow


class Server:
    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self.env = {**os.environ, "KIOSK_INSTANCE_PATH": str(instance), "KIOSK_UPLOAD_MAX_MB": "20"}
        self.env.pop("DATABASE_URL", None)
        subprocess.run([KIOSK, "demo"], env=self.env, check=True, capture_output=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> None:
        self.port = free_port()
        with (self.instance / "server.log").open("a") as log:
            self.proc = subprocess.Popen(
                [KIOSK, "serve", "--port", str(self.port), "--workers", "2", "--no-spooler"],
                env=self.env, stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        pytest.fail("the server did not start: " + (self.instance / "server.log").read_text())

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            self.proc.wait(15)


def slow_upload(port: int, data: bytes) -> str | None:
    """Upload `data` in 64 KB pieces with pauses, as a slow kiosk network would; the id, or
    None if the server died on the way."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="giay-to.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.putrequest("POST", "/api/v1/uploads")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        for i in range(0, len(body), 65536):
            conn.send(body[i : i + 65536])
            time.sleep(0.004)
        resp = conn.getresponse()
        return str(json.loads(resp.read())["id"]) if resp.status == 201 else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()


def submit(port: int, key: str, ids: list[str]) -> int | None:
    body = json.dumps({
        "procedure": "3.000333", "applicant": APPLICANT, "fields": FIELDS,
        "documents": [{"name": n, "upload_id": i} for n, i in zip(DOCS, ids, strict=True)],
        "idempotency_key": key,
    }).encode()  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("POST", "/api/v1/dossiers", body, {"Content-Type": "application/json"})
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def check_nothing_half_stored(instance: Path) -> dict[str, Any]:
    folder = instance / "uploads"
    names = {p.name for p in folder.iterdir() if p.is_file()} if folder.exists() else set()
    db = sqlite3.connect(instance / "kiosk.db")
    try:
        rows = db.execute("SELECT id, stored_name, dossier_id FROM upload").fetchall()
        dossiers = db.execute("SELECT id, code FROM dossier").fetchall()
        per_dossier = dict(
            db.execute(
                "SELECT dossier_id, count(*) FROM upload WHERE dossier_id IS NOT NULL "
                "GROUP BY dossier_id"
            ).fetchall()  # fmt: skip
        )
    finally:
        db.close()
    stored = {r[1] for r in rows}
    assert not [n for n in names if ".part-" in n], names
    assert names == stored, (names - stored, stored - names)
    for ident, code in dossiers:
        assert per_dossier.get(ident) == 2, f"{code} has {per_dossier.get(ident)} papers"
    return {"files": len(names), "dossiers": len(dossiers)}


def test_kill_9_mid_submission_leaves_nothing_half_stored(tmp_path: Path) -> None:
    server = Server(tmp_path / "instance")
    pdf = sample_pdf(6)  # about 6 MB, as a scanned dossier is
    rng = random.Random(20261123)
    pending: list[tuple[str, list[str]]] = []
    cut = 0
    try:
        server.start()
        for _round in range(3):
            port = server.port
            done: list[tuple[str, list[str], int | None]] = []

            def citizen(port: int = port, done: list[Any] = done, wait: float = 0.0) -> None:
                nonlocal cut
                time.sleep(wait)
                ids = [slow_upload(port, pdf), slow_upload(port, pdf)]
                cut += ids.count(None)
                if all(ids):
                    key = uuid.uuid4().hex
                    done.append((key, [str(i) for i in ids], submit(port, key, ids)))  # type: ignore[arg-type]

            # Citizens a little apart, so that the kill finds some uploading, some submitting.
            threads = [
                threading.Thread(target=citizen, kwargs={"wait": i * 0.35}) for i in range(4)
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.9, 1.6))
            server.kill()
            for t in threads:
                t.join(30)
            pending += [(key, ids) for key, ids, status in done if status not in (200, 201)]
            server.start()  # `kiosk serve` puts right what the crash left before serving
            check_nothing_half_stored(server.instance)
        # A submission the crash cut off goes through when sent again with the same key.
        for key, ids in pending:
            assert submit(server.port, key, ids) in (200, 201)
        state = check_nothing_half_stored(server.instance)
    finally:
        server.stop()
    assert cut > 0, "no kill landed during an upload: the test proved nothing"
    assert state["files"] >= 2


def test_a_worker_killed_between_commit_and_rename_is_put_right_at_once(tmp_path: Path) -> None:
    """A worker the kernel kills (out of memory) or gunicorn does (out of time) right after an
    upload's row was committed leaves `<id>.part-<pid>`: the master finishes it as soon as it
    sees the worker die (gunicorn's `child_exit`), not at the next start, so the dossier's
    paper opens while the server keeps serving."""
    server = Server(tmp_path / "instance")
    try:
        server.start()
        ident = slow_upload(server.port, sample_pdf())
        assert ident is not None
        db = sqlite3.connect(server.instance / "kiosk.db")
        try:
            row = db.execute("SELECT stored_name FROM upload WHERE id = ?", (ident,))
            (stored,) = row.fetchone()
        finally:
            db.close()
        assert server.proc is not None
        children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
        worker = int(children.read_text().split()[0])
        folder = server.instance / "uploads"
        os.replace(folder / stored, folder / f"{stored}.part-{worker}")  # the rename not done
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (folder / stored).exists():
            time.sleep(0.1)
        assert (folder / stored).exists(), sorted(p.name for p in folder.iterdir())
        assert not [p for p in folder.iterdir() if ".part-" in p.name]
        check_nothing_half_stored(server.instance)
    finally:
        server.stop()
