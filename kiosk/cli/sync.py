"""`kiosk nats hub|creds|site`: the province's servers; `kiosk sync relay|ingest`: the
processes that move a site's events to the hub and into the province's database."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..sync import names, servers


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


@nats_group.command("hub")
@click.option("--store", required=True, help="the hub's folder (configuration, JetStream, sites)")
@click.option("--port", default=4222, show_default=True, type=int,
              help="clients' port, on loopback only (the ingest)")  # fmt: skip
@click.option("--leaf-port", default=7422, show_default=True, type=int,
              help="the port the sites' servers connect to")  # fmt: skip
@click.option("--leaf-host", default="0.0.0.0", show_default=True,
              help="the address the sites' port listens on")  # fmt: skip
def hub(store: str, port: int, leaf_port: int, leaf_host: str) -> None:
    """Run the province's hub in the foreground (JetStream domain `hub`), sourcing every site
    that has credentials (`kiosk nats creds`) from when its server first answers (checked
    every 3 s). Its own clients' URL is written to STORE/local-url (KIOSK_NATS_URL of the
    ingest)."""
    hub_store = servers.HubStore(_store(store))
    hub_store.write_config(port, leaf_port, leaf_host)
    url = hub_store.local_url()
    servers._write_private(hub_store.root / "local-url", url + "\n")
    click.echo(f"Trạm tỉnh: cổng {port} (máy này), cổng đơn vị {leaf_host}:{leaf_port}; "
               f"KIOSK_NATS_URL của bộ nhập: tệp {hub_store.root / 'local-url'}")  # fmt: skip
    try:
        code = servers.run_foreground(
            hub_store.config, url,
            lambda: servers.provision_hub(url, [c.site for c in hub_store.sites()]),
            click.echo, again_every=3,
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
    if new and hub_store.settings.exists():
        hub_store.rewrite()
        servers.reload_hub(hub_store)  # the running hub's stream sources it once it answers
    click.echo(made.dumps())


@nats_group.command("site")
@click.option("--store", required=True, help="the site's folder (configuration, JetStream)")
@click.option("--port", default=4222, show_default=True, type=int,
              help="clients' port, on loopback only (the relay)")  # fmt: skip
@click.option("--hub", "hub_url", required=True, help="nats-leaf://HOST:PORT of the hub")
@click.option("--creds", "creds_file", required=True, type=click.Path(exists=True),
              help="the file `kiosk nats creds` printed at the hub")  # fmt: skip
@with_appcontext
def site(store: str, port: int, hub_url: str, creds_file: str) -> None:
    """Run this site's nats-server in the foreground, a leaf of the hub, its JetStream domain
    taken from KIOSK_SITE_CODE (dots as dashes)."""
    try:
        domain = names.domain_of(str(current_app.config["SITE_CODE"]))
        root = _store(store)
        config = servers.site_config(
            root, port=port, hub_url=hub_url, creds=servers.Credentials.load(Path(creds_file)),
            domain=domain,
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
