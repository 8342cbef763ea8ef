"""`kiosk uploads sweep`: what a crash left in the upload folder, and uploads never filed."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup

from ..domain.dossiers import uploads
from ..web import upload_folder_for
from .common import open_session

group = AppGroup("uploads", help="Uploaded papers and digitized results.")


def register(cli: AppGroup) -> None:
    cli.add_command(group)


def sweep_uploads() -> tuple[uploads.Recovered, int]:
    """Finish or remove the uploads a crash cut short, then remove those never filed with a
    dossier within UPLOAD_KEEP_HOURS."""
    folder = upload_folder_for(current_app.config, current_app.instance_path)
    session = open_session()
    try:
        done = uploads.recover(session, folder)
        hours = float(current_app.config["UPLOAD_KEEP_HOURS"])
        expired = uploads.expire(session, folder, dt.timedelta(hours=hours))
    finally:
        session.close()
    return done, expired


@group.command("sweep")
def sweep() -> None:
    """Put the upload folder right after a crash and remove expired uploads (run it daily; the
    server also runs it when it starts)."""
    done, expired = sweep_uploads()
    click.echo(
        f"Tệp tải lên: hoàn tất {done.finished}, xóa {done.removed} tệp dở dang; "
        f"xóa {expired} tệp quá hạn chưa nộp."
    )
