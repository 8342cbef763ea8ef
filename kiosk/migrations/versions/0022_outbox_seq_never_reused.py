"""the outbox's `seq` never given twice on SQLite (AUTOINCREMENT): a day's queue figures not yet
sent are deleted and told again at the end at every ticket change, and without AUTOINCREMENT
SQLite gave the new event the deleted one's number when it was the last; the hub, which keeps
a day's figures from the later event in the site's outbox, then kept the older figures (one
ticket short in the province's day test). PostgreSQL's sequence never reuses a number.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # The table copied into one made with AUTOINCREMENT (its counter starts at the highest
    # number kept).
    with op.batch_alter_table(
        "outbox_event", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "outbox_event", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
