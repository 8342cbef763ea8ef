"""what an attempt weighs against a rate limit's budget: an anonymous upload's bytes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rate_hit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cost", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("rate_hit", schema=None) as batch_op:
        batch_op.drop_column("cost")
