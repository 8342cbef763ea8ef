"""A province on one machine, to look at (`make province`, `kiosk province demo`): a hub and
two demo sites, each part the very process a real province runs, supervised in the foreground
and all stopped together.

- the hub: `kiosk nats hub` (its store in ROOT/hub), `python -m kiosk.sync.ingest` and
  `kiosk serve` on the province's PostgreSQL (no KIOSK_NATS_URL: the hub sends nothing);
- each site: its own instance folder (ROOT/<domain>: SQLite, secret key, uploads), its own
  code and demo data (`kiosk demo`), `kiosk nats site` (a leaf of the hub, with the
  credentials `kiosk nats creds` made at the hub) and `kiosk serve` with KIOSK_NATS_URL, which
  starts the relay beside the app.

Each process runs in a session of its own with its output in ROOT/logs/<part>.log; a stop
sends SIGTERM to each session (the server's workers, the relay and the spooler with it) and
SIGKILL to what is left after 10 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

KIOSK = str(Path(sys.executable).with_name("kiosk"))

#: The documented ports: the apps (hub, first site, second site), the nats-servers' client
#: ports (on loopback), and the hub's port for the sites' servers.
APP_PORTS = (8100, 8101, 8102)
NATS_PORTS = (4300, 4301, 4302)
LEAF_PORT = 7430
#: The two demo sites: (code, name).
SITES = (
    ("000.00.41.H29", "Bộ phận Một cửa xã (demo 1)"),
    ("000.00.42.H29", "Bộ phận Một cửa phường (demo 2)"),
)
#: The province's database when DATABASE_URL is not set: this one, created on the local
#: PostgreSQL server if it answers.
LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/kiosk_province"


class DemoError(RuntimeError):
    """The demo cannot start, with what it needs, in Vietnamese."""


def province_database(url: str | None) -> str:
    """The province's PostgreSQL: `url` (DATABASE_URL) when given, else LOCAL_PG, created when
    missing. A database that does not answer, or is not PostgreSQL, is refused."""
    chosen = url or LOCAL_PG
    parsed = make_url(chosen)
    need = (
        "Trạm tỉnh cần PostgreSQL: đặt DATABASE_URL=postgresql+psycopg://NGƯỜI_DÙNG@MÁY:5432/"
        "TÊN_CSDL (một cơ sở dữ liệu trống), hoặc chạy PostgreSQL tại 127.0.0.1:5432 cho người "
        "dùng postgres."
    )
    if not parsed.drivername.startswith("postgresql"):
        raise DemoError(f"{need} (DATABASE_URL hiện là {parsed.drivername}.)")
    try:
        if url is None:
            admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                exists = conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
                )
                if not exists:
                    conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
            admin.dispose()
        engine = create_engine(parsed)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - whatever the reason, say what is needed
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DemoError(
            f"{need} (Không kết nối được {parsed.render_as_string()}: {first})"
        ) from exc
    return parsed.render_as_string(hide_password=False)


@dataclass
class Part:
    """One supervised process."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb" if self.starts == 1 else "ab") as out:
            self.proc = subprocess.Popen(
                self.args, env=self.env, stdout=out, stderr=out, start_new_session=True
            )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        """kill -9 of the part and everything it started (a power cut)."""
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Site:
    code: str
    name: str
    domain: str
    instance: Path
    app_port: int
    nats_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"


@dataclass
class ProvinceDemo:
    """A hub and two sites under `root`, on the given ports (the documented ones by default)."""

    root: Path
    database_url: str
    app_ports: tuple[int, int, int] = APP_PORTS
    nats_ports: tuple[int, int, int] = NATS_PORTS
    leaf_port: int = LEAF_PORT
    workers: int = 1
    echo: Callable[[str], None] = print
    parts: dict[str, Part] = field(default_factory=dict)
    sites: list[Site] = field(default_factory=list)

    def __post_init__(self) -> None:
        from ..sync import names

        self.root = self.root.resolve()
        self.hub_store = self.root / "hub"
        self.hub_instance = self.root / "hub-instance"
        self.sites = [
            Site(code, name, names.domain_of(code), self.root / names.domain_of(code),
                 self.app_ports[i + 1], self.nats_ports[i + 1])
            for i, (code, name) in enumerate(SITES)
        ]  # fmt: skip
        base = {k: v for k, v in os.environ.items()
                if not k.startswith("KIOSK_") and k != "DATABASE_URL"}  # fmt: skip
        self.hub_env = {**base, "KIOSK_INSTANCE_PATH": str(self.hub_instance),
                        "DATABASE_URL": self.database_url,
                        "KIOSK_SITE_NAME": "Trạm tỉnh (demo): hồ sơ của mọi đơn vị"}  # fmt: skip
        self.site_envs = {
            s.domain: {
                **base,
                "KIOSK_INSTANCE_PATH": str(s.instance),
                "KIOSK_SITE_CODE": s.code,
                "KIOSK_SITE_NAME": s.name,
                "KIOSK_NATS_URL": f"nats://127.0.0.1:{s.nats_port}",
            }  # fmt: skip
            for s in self.sites
        }

    @property
    def hub_url(self) -> str:
        return f"http://127.0.0.1:{self.app_ports[0]}"

    def _run(self, what: str, args: list[str], env: dict[str, str]) -> str:
        done = subprocess.run(args, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise DemoError(f"{what} không chạy được:\n{done.stdout}{done.stderr}")
        return done.stdout

    def _part(self, name: str, args: list[str], env: dict[str, str]) -> Part:
        part = Part(name, args, env, self.root / "logs" / f"{name}.log")
        self.parts[name] = part
        return part

    def prepare(self) -> None:
        """The databases with their demo data, the sites' credentials at the hub, and the
        parts to run (not started yet). Safe to run again on the same root."""
        for folder in (self.root, self.hub_instance, *(s.instance for s in self.sites)):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.echo("Dữ liệu mẫu của trạm tỉnh (PostgreSQL)…")
        self._run("kiosk demo (trạm tỉnh)", [KIOSK, "demo"], self.hub_env)
        self._part("hub-nats", [
            KIOSK, "nats", "hub", "--store", str(self.hub_store), "--port",
            str(self.nats_ports[0]), "--leaf-port", str(self.leaf_port),
            "--leaf-host", "127.0.0.1"], self.hub_env)  # fmt: skip
        for s in self.sites:
            env = self.site_envs[s.domain]
            self.echo(f"Dữ liệu mẫu của {s.name} ({s.code}, SQLite)…")
            self._run(f"kiosk demo ({s.code})", [KIOSK, "demo"], env)
            creds = self._run("kiosk nats creds",
                              [KIOSK, "nats", "creds", s.code, "--store", str(self.hub_store)],
                              self.hub_env)  # fmt: skip
            creds_file = s.instance / "hub.creds"
            fd = os.open(creds_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(creds)
            self._part(f"{s.domain}-nats", [
                KIOSK, "nats", "site", "--store", str(s.instance / "nats"), "--port",
                str(s.nats_port), "--hub", f"nats-leaf://127.0.0.1:{self.leaf_port}",
                "--creds", str(creds_file)], env)  # fmt: skip
            self._part(f"{s.domain}-app", [KIOSK, "serve", "--port", str(s.app_port),
                                           "--workers", str(self.workers)], env)  # fmt: skip
        self._part("hub-ingest", [sys.executable, "-m", "kiosk.sync.ingest"], self.hub_env)
        self._part("hub-app", [KIOSK, "serve", "--port", str(self.app_ports[0]),
                               "--workers", str(self.workers), "--no-spooler"],
                   self.hub_env)  # fmt: skip

    def start(self, name: str) -> None:
        """Start a part; the ingest once the hub wrote its clients' URL."""
        part = self.parts[name]
        if name == "hub-ingest":
            url_file = self.hub_store / "local-url"
            self._wait(url_file.exists, "tệp local-url của trạm tỉnh", 30)
            part.env = {**part.env, "KIOSK_NATS_URL": url_file.read_text().strip()}
        part.start()

    def _wait(self, check: Callable[[], bool], what: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not check():
            dead = [p for p in self.parts.values() if p.proc is not None and not p.running()]
            if dead:
                raise DemoError(f"{dead[0].name} đã dừng:\n{dead[0].tail()}")
            if time.monotonic() > deadline:
                raise DemoError(f"Chờ quá {seconds:.0f} giây: {what}.")
            time.sleep(0.2)

    def wait_ready(self, name: str, seconds: float = 90) -> None:
        """Until a server says it is ready (nats) or answers /healthz (an app)."""
        part = self.parts[name]
        if name.endswith("-nats"):

            def ready() -> bool:
                return part.log.read_text(errors="replace").count("Sẵn sàng") >= part.starts

            self._wait(ready, f"{name} sẵn sàng", seconds)
        elif name.endswith("-app"):
            port = part.args[part.args.index("--port") + 1]

            def healthy() -> bool:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                except OSError:
                    return False
                return True

            self._wait(healthy, f"{name} trả lời", seconds)

    def start_all(self) -> None:
        self.start("hub-nats")
        for s in self.sites:
            self.start(f"{s.domain}-nats")
        self.start("hub-ingest")
        self.start("hub-app")
        for s in self.sites:
            self.start(f"{s.domain}-app")
        for name in self.parts:
            self.wait_ready(name)

    def stop(self) -> None:
        """SIGTERM to every part (in reverse order), SIGKILL to what is left after 10 s."""
        running = [p for p in reversed(self.parts.values()) if p.running()]
        for p in running:
            p.signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for p in running:
            assert p.proc is not None
            try:
                p.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
        for p in self.parts.values():
            p.signal(signal.SIGKILL)  # whatever a part left in its session
            if p.proc is not None:
                p.proc.wait(10)

    def watch(self) -> str:
        """Until a part stops by itself (its name) or the process is told to stop."""
        while True:
            for p in self.parts.values():
                if p.proc is not None and not p.running():
                    return p.name
            time.sleep(0.5)

    def welcome(self) -> str:
        lines = [
            "Sẵn sàng: một tỉnh trên máy này.",
            f"  Trạm tỉnh      {self.hub_url}/office  (quanly / quanly-demo-2026: hồ sơ của "
            "mọi đơn vị)",
        ]
        for s in self.sites:
            lines.append(f"  {s.name:<32} {s.url}/kiosk/  (cán bộ: {s.url}/office, "
                         "canbo / canbo-demo-2026)")  # fmt: skip
        lines += [
            "Nộp một hồ sơ ở kiosk của một đơn vị: vài giây sau nó có trong danh sách hồ sơ "
            "của trạm tỉnh.",
            f"Nhật ký: {self.root / 'logs'}. Ctrl-C để dừng tất cả.",
        ]
        return "\n".join(lines)
