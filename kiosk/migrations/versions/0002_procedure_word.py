"""procedure_word: the word index behind catalog search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "procedure_word",
        sa.Column(
            "word",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["procedure_id"], ["procedure.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("word", "procedure_id"),
    )
    with op.batch_alter_table("procedure_word", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_procedure_word_procedure_id"), ["procedure_id"], unique=False
        )
    # Index the procedures already there (search_text is already folded).
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, search_text FROM procedure")).all()
    words = [
        {"w": w[:64], "p": pid} for pid, text in rows for w in sorted(set((text or "").split()))
    ]
    if words:
        conn.execute(
            sa.text("INSERT INTO procedure_word (word, procedure_id) VALUES (:w, :p)"), words
        )


def downgrade() -> None:
    with op.batch_alter_table("procedure_word", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_word_procedure_id"))
    op.drop_table("procedure_word")
