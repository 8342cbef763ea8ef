"""at the hub: each site's latest queue figures of each day (the outbox's `queue.day`); at a
site, the outbox's unsent events by kind (the day's unsent figures are found by it at every
ticket change, however long the site has gone without sending)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_day_figures",
        sa.Column("site", sa.String(40), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("site_seq", sa.Integer(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_outbox_event_kind_unsent", "outbox_event", ["kind", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_event_kind_unsent", table_name="outbox_event")
    op.drop_table("queue_day_figures")
