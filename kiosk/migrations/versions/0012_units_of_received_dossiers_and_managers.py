"""a manager's unit, and the unit of each dossier received before units were decided at receipt

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unit_code", sa.String(length=64), server_default="", nullable=False)
        )
    # Dossiers received before 0012 all counted under the center (unit = site code): give each
    # the unit `kiosk.domain.units` decides at receipt now.
    from kiosk.domain.units import unit_for

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "select d.id, d.site_code, d.applicant_address, d.fields, p.level, p.field "
            "from dossier d join procedure p on p.code = d.procedure_code "
            "where d.unit = d.site_code"
        )
    ).all()
    for row in rows:
        try:
            address = json.loads(row.applicant_address or "{}")
            fields = json.loads(row.fields or "{}")
        except ValueError:
            address, fields = {}, {}
        unit = unit_for(
            row.level, row.field, row.site_code,
            address=address if isinstance(address, dict) else {},
            fields=fields if isinstance(fields, dict) else {},
        )  # fmt: skip
        if unit != row.site_code:
            bind.execute(
                sa.text("update dossier set unit = :unit where id = :id"),
                {"unit": unit, "id": row.id},
            )


def downgrade() -> None:
    # The units given to old dossiers stay: they are what the rule decides for them.
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("unit_code")
