"""Filing a dossier through gunicorn (`kiosk serve`, 2 gevent workers) on this machine.

For each engine it prints, over N submissions of a judicial-record dossier whose papers are a
5 MB scanned PDF and a photo:
- the 5 MB upload (POST /api/v1/uploads: received, checked by PDFium, stored, committed);
- the submission itself (POST /api/v1/dossiers: form and papers checked, code minted, uploads
  attached, all in one transaction);
- the whole, as a citizen waits for it (both uploads and the submission);
and the first-page thumbnail of that PDF, made once and then served from its cache.

Goal (issue 9): a 5 MB PDF filed in well under 2 s on the kiosk's own network.

    .venv/bin/python bench/dossiers.py                  # SQLite, and PostgreSQL if reachable
    .venv/bin/python bench/dossiers.py --engines sqlite -n 20
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

KIOSK = str(Path(sys.executable).with_name("kiosk"))
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DOCS = (
    "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
    "Bản chụp giấy tờ tùy thân (thẻ căn cước, hộ chiếu)",
)
APPLICANT = {"full_name": "Nguyễn Văn An", "cccd": "052090001234", "birth_date": "1990-05-01",
             "gender": "Nam", "phone": "0912345678"}  # fmt: skip
FIELDS = {
    "noi_sinh": "Gia Lai", "dan_toc": "Kinh", "quoc_tich": "Việt Nam",
    "noi_thuong_tru": {"commune_code": "21583", "detail": "Tổ 1"}, "loai_phieu": "Phiếu số 1",
    "so_luong_phieu": 1, "xac_nhan_cam_dam_nhiem": "Không", "muc_dich": "Xin việc",
}  # fmt: skip


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scanned_pdf(megabytes: float, pages: int = 3) -> bytes:
    side = int((megabytes * 1_000_000 / pages / 1.2) ** 0.5)
    frames = [Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
              for _ in range(pages)]  # fmt: skip
    buf = io.BytesIO()
    frames[0].save(buf, "PDF", quality=95, save_all=True, append_images=frames[1:])
    return buf.getvalue()


def photo() -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (900, 600), os.urandom(900 * 600 * 3)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def request(port: int, method: str, path: str, body: bytes, ctype: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body, {"Content-Type": ctype})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def upload(port: int, data: bytes, name: str) -> str:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, out = request(port, "POST", "/api/v1/uploads", body,
                          f"multipart/form-data; boundary={boundary}")  # fmt: skip
    assert status == 201, out
    return str(json.loads(out)["id"])


def run(engine: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "KIOSK_INSTANCE_PATH": tmp, "KIOSK_UPLOAD_MAX_MB": "20"}
        env.pop("DATABASE_URL", None)
        if engine == "postgresql":
            name = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            env["DATABASE_URL"] = make_url(PG).set(database=name).render_as_string(False)
        subprocess.run([KIOSK, "demo"], env=env, check=True, capture_output=True)
        port = free_port()
        proc = subprocess.Popen(
            [KIOSK, "serve", "--port", str(port), "--workers", "2", "--no-spooler"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            pdf, jpg = scanned_pdf(5.0), photo()
            ups, subs, wholes = [], [], []
            for _ in range(n):
                t0 = time.perf_counter()
                pdf_id = upload(port, pdf, "to-khai.pdf")
                t1 = time.perf_counter()
                jpg_id = upload(port, jpg, "cccd.jpg")
                t2 = time.perf_counter()
                body = json.dumps({
                    "procedure": "3.000333", "applicant": APPLICANT, "fields": FIELDS,
                    "documents": [{"name": DOCS[0], "upload_id": pdf_id},
                                  {"name": DOCS[1], "upload_id": jpg_id}],
                    "idempotency_key": uuid.uuid4().hex,
                }).encode()  # fmt: skip
                status, out = request(port, "POST", "/api/v1/dossiers", body, "application/json")
                t3 = time.perf_counter()
                assert status == 201, out
                ups.append(t1 - t0)
                subs.append(t3 - t2)
                wholes.append(t3 - t0)
            print(f"{engine}: {len(pdf) / 1e6:.1f} MB PDF ({n} dossiers)")
            print(f"  upload of the PDF      p50 {pct(ups, .5) * 1000:6.0f} ms   "
                  f"p95 {pct(ups, .95) * 1000:6.0f} ms")  # fmt: skip
            print(f"  submission             p50 {pct(subs, .5) * 1000:6.0f} ms   "
                  f"p95 {pct(subs, .95) * 1000:6.0f} ms")  # fmt: skip
            print(f"  whole (2 uploads + submit) p50 {pct(wholes, .5) * 1000:6.0f} ms   "
                  f"p95 {pct(wholes, .95) * 1000:6.0f} ms")  # fmt: skip
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(20)
            if engine == "postgresql":
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def thumbnails() -> None:
    """The first page of the 5 MB PDF as a 240 px thumbnail, made and then cached."""
    from kiosk.domain.dossiers import uploads
    from kiosk.models import Upload

    pdf = scanned_pdf(5.0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "x").write_bytes(pdf)
        up = Upload(stored_name="x", media_type="application/pdf")
        t0 = time.perf_counter()
        uploads.thumbnail(folder, up)
        t1 = time.perf_counter()
        uploads.thumbnail(folder, up)
        t2 = time.perf_counter()
    print(f"thumbnail of the 5 MB PDF: first {1000 * (t1 - t0):.0f} ms, "
          f"cached {1000 * (t2 - t1):.1f} ms")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("-n", type=int, default=10)
    args = ap.parse_args()
    for engine in args.engines.split(","):
        if engine == "postgresql":
            try:
                create_engine(PG).connect().close()
            except Exception as exc:  # noqa: BLE001 - no server here: say so and go on
                print(f"postgresql: skipped ({exc.__class__.__name__})")
                continue
        run(engine, args.n)
    thumbnails()


if __name__ == "__main__":
    main()
