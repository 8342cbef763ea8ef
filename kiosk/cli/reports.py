"""`kiosk demo-month`: a realistic month of a center's work, made up, reproducible by seed,
for the reports and the manager's dashboard to show something real-sized."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..web import upload_folder_for
from .common import open_session


def register(cli: AppGroup) -> None:
    cli.add_command(demo_month)


@click.command("demo-month")
@click.option(
    "--dossiers",
    default=3000,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="new dossiers received in the month (a carried-over stock of about 40% more)",
)
@click.option(
    "--seed", default=1, show_default=True, type=int, help="the same seed, the same month"
)
@click.option("--month", default="", help="YYYY-MM (the previous month by default)")
@click.option(
    "--if-missing",
    is_flag=True,
    help="succeed without loading when that month and seed are already there",
)
@with_appcontext
def demo_month(dossiers: int, seed: int, month: str, if_missing: bool) -> None:
    """Load a month of synthetic dossiers, queue tickets, payments and ratings (run `kiosk demo`
    first for the catalog and the floor)."""
    from ..demo import synthetic

    try:
        first = dt.date.fromisoformat(month + "-01") if month else None
    except ValueError as exc:
        raise click.BadParameter("dạng YYYY-MM, ví dụ 2026-10", param_hint="--month") from exc
    if current_app.config.get("ENV") == "production":
        raise click.ClickException("Môi trường production: không nạp dữ liệu mẫu.")
    session = open_session()
    try:
        made = synthetic.generate(
            session, site_code=current_app.config["SITE_CODE"], dossiers=dossiers, seed=seed,
            month=first, tz=ZoneInfo(current_app.config["SITE_TZ"]),
            folder=upload_folder_for(current_app.config, current_app.instance_path),
            progress=click.echo,
        )  # fmt: skip
    except synthetic.AlreadyLoaded as exc:
        if if_missing:
            click.echo(str(exc))
            return
        raise click.ClickException(str(exc)) from exc
    except synthetic.SyntheticError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(
        f"Đã nạp tháng {made.first:%m/%Y}: {made.dossiers} hồ sơ mới, {made.carried} hồ sơ kỳ "
        f"trước chuyển sang, {made.tickets} số thứ tự, {made.payments} khoản phí, "
        f"{made.ratings} đánh giá, {len(made.units)} đơn vị."
    )
