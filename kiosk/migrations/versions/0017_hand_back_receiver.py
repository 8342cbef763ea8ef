"""the hand-back's facts on its timeline line: who received the result, which ID was checked,
where (a branch's code, or the center); the papers a counter received on paper; why a
reduced fee was charged

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("receiver_name", sa.String(255), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("receiver_id_kind", sa.String(16), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("receiver_id_number", sa.String(16), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("place", sa.String(64), server_default="", nullable=False))
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_paper", sa.Text(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("fee_reason", sa.String(255), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_column("fee_reason")
        batch_op.drop_column("on_paper")
    with op.batch_alter_table("dossier_event", schema=None) as batch_op:
        batch_op.drop_column("place")
        batch_op.drop_column("receiver_id_number")
        batch_op.drop_column("receiver_id_kind")
        batch_op.drop_column("receiver_name")
