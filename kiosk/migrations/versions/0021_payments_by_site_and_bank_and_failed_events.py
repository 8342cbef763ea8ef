"""a bank's transaction id unique per site and bank (two banks' ids can coincide, and two
sites' at the province's hub), each payment's site at the hub; a site's event the hub could not
apply kept with its error

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

#: The name 0008's unnamed UNIQUE (bank_txn_id) has: PostgreSQL's own; on SQLite, reflected
#: without a name, it is given this one for the batch to drop it.
_OLD = {"postgresql": "payment_bank_txn_id_key"}
_UNNAMED = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    old = _OLD.get(op.get_bind().dialect.name, "uq_payment_bank_txn_id")
    with op.batch_alter_table("payment", naming_convention=_UNNAMED) as batch_op:
        batch_op.add_column(sa.Column("site", sa.String(40), nullable=False, server_default=""))
        batch_op.drop_constraint(old, type_="unique")
        batch_op.create_unique_constraint(
            "uq_payment_site_bank_txn", ["site", "bank_code", "bank_txn_id"]
        )
    with op.batch_alter_table("province_event") as batch_op:
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index("ix_province_event_failed_at", ["failed_at"])


def downgrade() -> None:
    with op.batch_alter_table("province_event") as batch_op:
        batch_op.drop_index("ix_province_event_failed_at")
        batch_op.drop_column("error")
        batch_op.drop_column("failed_at")
    # Two sites' payments with one bank transaction id cannot go back under one UNIQUE: the
    # downgrade refuses rather than lose a payment.
    with op.batch_alter_table("payment") as batch_op:
        batch_op.drop_constraint("uq_payment_site_bank_txn", type_="unique")
        batch_op.drop_column("site")
        batch_op.create_unique_constraint(
            _OLD.get(op.get_bind().dialect.name, "uq_payment_bank_txn_id"), ["bank_txn_id"]
        )
