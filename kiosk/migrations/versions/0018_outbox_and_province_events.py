"""the site's outbox of events for the province; at the hub, the events received and each
site's link

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_event",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_outbox_event_unsent", "outbox_event", ["sent_at", "seq"])
    op.create_table(
        "province_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("site_seq", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_province_event_site_at", "province_event", ["site", "occurred_at"])
    op.create_index(
        "ix_province_event_subject", "province_event", ["site", "subject_id", "site_seq"]
    )
    op.create_table(
        "sync_site",
        sa.Column("site", sa.String(length=40), nullable=False),
        sa.Column("link_up", sa.Boolean(), nullable=False),
        sa.Column("lag", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("site"),
    )


def downgrade() -> None:
    op.drop_table("sync_site")
    op.drop_index("ix_province_event_subject", table_name="province_event")
    op.drop_index("ix_province_event_site_at", table_name="province_event")
    op.drop_table("province_event")
    op.drop_index("ix_outbox_event_unsent", table_name="outbox_event")
    op.drop_table("outbox_event")
