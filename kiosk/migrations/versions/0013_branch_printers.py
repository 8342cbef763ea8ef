"""a bank branch's own receipt printer

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("printer_url", sa.String(length=255), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("printer_profile", sa.String(length=64), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.drop_column("printer_profile")
        batch_op.drop_column("printer_url")
