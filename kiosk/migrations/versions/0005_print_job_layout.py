"""print jobs carry their layout's data, drawn by the spooler

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("print_job") as batch_op:
        batch_op.add_column(sa.Column("layout", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("print_job") as batch_op:
        batch_op.drop_column("layout")
