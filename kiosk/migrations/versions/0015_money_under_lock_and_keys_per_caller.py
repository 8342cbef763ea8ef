"""cash counted for the branch that took it, a filing's request digest, refused notices pruned

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("branch_code", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_payment_branch_code", ["branch_code"], unique=False)
    # Cash taken before this revision: the branch of whoever recorded it (the center's staff
    # have none), no longer the branch that filed the dossier.
    op.execute(
        "UPDATE payment SET branch_code = (SELECT u.branch_code FROM user_account u "
        "WHERE u.id = payment.recorded_by_id) WHERE method = 'cash'"
    )
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("payment_notice", schema=None) as batch_op:
        batch_op.create_index("ix_payment_notice_outcome", ["outcome", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment_notice", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_notice_outcome")
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_column("request_digest")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_branch_code")
        batch_op.drop_column("branch_code")
