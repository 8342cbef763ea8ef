"""`kiosk nats hub|creds|site`: the province's servers; `kiosk sync relay|ingest`: the
processes that move a site's events to the hub and into the province's database."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..sync import names, servers
from .common import open_session


def register(cli: AppGroup) -> None:
    cli.add_command(nats_group)
    cli.add_command(sync_group)


@click.group("nats")
def nats_group() -> None:
    """The hub's and a site's nats-server (JetStream with leaf nodes)."""


def _store(path: str) -> Path:
    store = Path(path).resolve()
    store.mkdir(parents=True, exist_ok=True, mode=0o700)
    return store


def _tls_options(fn: Any) -> Any:
    for option in reversed([
        click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False),
                     help="this server's certificate (PEM) on the link between a site and the hub"),
        click.option("--tls-key", type=click.Path(exists=True, dir_okay=False),
                     help="the key of --tls-cert (PEM)"),
    ]):  # fmt: skip
        fn = option(fn)
    return fn


@nats_group.command("hub")
@click.option("--store", required=True, help="the hub's folder (configuration, JetStream, sites)")
@click.option("--port", default=4222, show_default=True, type=int,
              help="clients' port, on loopback only (the ingest)")  # fmt: skip
@click.option("--leaf-port", default=7422, show_default=True, type=int,
              help="the port the sites' servers connect to")  # fmt: skip
@click.option("--leaf-host", default="0.0.0.0", show_default=True,
              help="the address the sites' port listens on")  # fmt: skip
@_tls_options
@click.option("--tls-ca", type=click.Path(exists=True, dir_okay=False),
              help="with --tls-cert: accept only sites whose certificate this CA "
                   "signed")  # fmt: skip
@click.option("--cluster-port", type=int, default=None,
              help="a node of a three-node hub (R3): the port its routes listen on")  # fmt: skip
@click.option("--cluster-host", default="0.0.0.0", show_default=True,
              help="the address the routes' port listens on")  # fmt: skip
@click.option("--routes", default="",
              help="with --cluster-port: the other two nodes, "
                   "nats://HOST:PORT,nats://HOST:PORT")  # fmt: skip
@click.option("--name", "node_name", default=None,
              help="with --cluster-port: this node's name, unique in the cluster "
                   "(default kiosk-hub-HOSTNAME-PORT)")  # fmt: skip
def hub(
    store: str, port: int, leaf_port: int, leaf_host: str, tls_cert: str | None,
    tls_key: str | None, tls_ca: str | None, cluster_port: int | None, cluster_host: str,
    routes: str, node_name: str | None,
) -> None:  # fmt: skip
    """Run the province's hub in the foreground (JetStream domain `hub`), sourcing every site
    that has credentials (`kiosk nats creds`) from when its server first answers (checked
    every 3 s). Its own clients' URL is written to STORE/local-url (KIOSK_NATS_URL of the
    ingest). With --tls-cert/--tls-key the sites' port speaks TLS; with --cluster-port and
    --routes this is one node of three, the stream kept on all three (R3)."""
    hub_store = servers.HubStore(_store(store))
    cluster = None
    try:
        tls = servers.Tls.of(tls_cert, tls_key, tls_ca)
        if tls is not None:
            tls.server_block()  # a CA alone is refused here, before the server starts
        if cluster_port is not None:
            others = tuple(r.strip() for r in routes.split(",") if r.strip())
            if len(others) != 2:
                raise servers.ServerError(
                    "Một cụm trạm tỉnh có ba nút: --routes nêu hai nút kia "
                    "(nats://MÁY:CỔNG_CỤM,nats://MÁY:CỔNG_CỤM)."
                )
            name = node_name or f"{names.HUB_SERVER}-{socket.gethostname()}-{cluster_port}"
            cluster = servers.Cluster(name, cluster_host, cluster_port, others)
            for r in others:
                servers.Cluster.route_url(r, "")
        elif routes:
            raise servers.ServerError("--routes chỉ dùng cùng --cluster-port.")
        hub_store.write_config(port, leaf_port, leaf_host, tls=tls, cluster=cluster)
    except servers.ServerError as exc:
        raise click.ClickException(str(exc)) from exc
    url = hub_store.local_url()
    servers._write_private(hub_store.root / "local-url", url + "\n")
    click.echo(f"Trạm tỉnh: cổng {port} (máy này), cổng đơn vị {leaf_host}:{leaf_port}"
               f"{' (TLS)' if tls else ''}; KIOSK_NATS_URL của bộ nhập: tệp "
               f"{hub_store.root / 'local-url'}")  # fmt: skip
    if cluster is not None:
        click.echo(f"Nút {cluster.name} của cụm ba nút: cổng cụm {cluster_host}:{cluster_port}, "
                   f"các nút kia {', '.join(cluster.routes)}")  # fmt: skip
    replicas = 3 if cluster is not None else 1
    try:
        code = servers.run_foreground(
            hub_store.config, url,
            lambda: servers.provision_hub(url, [c.site for c in hub_store.sites()],
                                          replicas=replicas),
            click.echo, again_every=3, ready_within=30 if cluster is None else 180,
        )  # fmt: skip
    except servers.ServerError as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)


@nats_group.command("creds")
@click.argument("site_code")
@click.option("--store", required=True, help="the hub's folder")
def creds(site_code: str, store: str) -> None:
    """Print SITE_CODE's credentials (made on first asking). A running hub accepts the new
    site at once (its configuration is reloaded) and sources it once its server answers."""
    hub_store = servers.HubStore(_store(store))
    try:
        made, new = hub_store.credentials(site_code)
    except names.NameRefused as exc:
        raise click.ClickException(str(exc)) from exc
    if hub_store.settings.exists() and (new or made.user not in hub_store.config.read_text()):
        # also a site's file copied from another node of a clustered hub
        hub_store.rewrite()
        servers.reload_hub(hub_store)  # the running hub's stream sources it once it answers
    click.echo(made.dumps())


@nats_group.command("site")
@click.option("--store", required=True, help="the site's folder (configuration, JetStream)")
@click.option("--port", default=4222, show_default=True, type=int,
              help="clients' port, on loopback only (the relay)")  # fmt: skip
@click.option("--hub", "hub_url", required=True,
              help="nats-leaf://HOST:PORT of the hub (tls://HOST:PORT over TLS; a clustered "
                   "hub's nodes comma-separated)")  # fmt: skip
@click.option("--creds", "creds_file", required=True, type=click.Path(exists=True),
              help="the file `kiosk nats creds` printed at the hub")  # fmt: skip
@click.option("--tls-ca", type=click.Path(exists=True, dir_okay=False),
              help="the CA (PEM) the hub's certificate is checked against")  # fmt: skip
@_tls_options
@with_appcontext
def site(
    store: str, port: int, hub_url: str, creds_file: str, tls_ca: str | None,
    tls_cert: str | None, tls_key: str | None,
) -> None:  # fmt: skip
    """Run this site's nats-server in the foreground, a leaf of the hub, its JetStream domain
    taken from KIOSK_SITE_CODE (dots as dashes). With --tls-ca the link is TLS and the hub's
    certificate is checked (--tls-cert/--tls-key: the site's own, when the hub asks for one)."""
    try:
        domain = names.domain_of(str(current_app.config["SITE_CODE"]))
        root = _store(store)
        config = servers.site_config(
            root, port=port, hub_url=hub_url, creds=servers.Credentials.load(Path(creds_file)),
            domain=domain, tls=servers.Tls.of(tls_cert, tls_key, tls_ca),
        )  # fmt: skip
        url = f"nats://127.0.0.1:{port}"
        click.echo(f"Đơn vị {domain}: cổng {port} (máy này), trạm tỉnh {hub_url}")
        code = servers.run_foreground(
            config, url, lambda: servers.provision_site(url, domain), click.echo
        )
    except (servers.ServerError, names.NameRefused) as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)


@click.group("sync")
def sync_group() -> None:
    """Moving a site's events to the province."""


@sync_group.command("relay")
@with_appcontext
def relay() -> None:
    """At a site: publish the outbox's events to the site's server (KIOSK_NATS_URL)."""
    from ..sync import relay as relay_module

    relay_module.run(current_app.instance_path, dict(current_app.config))


@sync_group.command("ingest")
@with_appcontext
def ingest() -> None:
    """At the hub: write every site's events into the province's database (DATABASE_URL)."""
    from ..sync import ingest as ingest_module

    ingest_module.run(current_app.instance_path, dict(current_app.config))


@sync_group.command("reapply")
@click.option("--site", default=None, help="Only this site's events (its code or domain).")
@with_appcontext
def reapply(site: str | None) -> None:
    """At the hub: apply again the sites' events the hub could not apply (after the cause is
    fixed); those that fail again stay marked with their error."""
    from ..domain import province

    session = open_session()
    try:
        applied, failed = province.reapply(session, site)
        session.commit()
    finally:
        session.close()
    click.echo(f"Đã áp dụng lại {applied} sự kiện; còn {failed} sự kiện chưa áp dụng được.")
    if failed:
        sys.exit(1)
