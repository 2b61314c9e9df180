"""the kit's outbox and inbox tables

Revision ID: kit_0001
Revises:
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "kit_0001"
down_revision = None
branch_labels = ("kinerja_kit",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Databases created before this branch existed already hold both tables.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "outbox" not in existing:
        op.create_table(
            "outbox",
            sa.Column("id", BigId, autoincrement=True, nullable=False),
            sa.Column("topic", sa.String(length=200), nullable=False),
            sa.Column("key", sa.String(length=200), nullable=False),
            sa.Column("payload", sa.Text(), nullable=False),
            sa.Column("headers", sa.JSON(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                      nullable=False),
            sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_outbox_unsent", "outbox", ["sent_at", "id"], unique=False)
    if "inbox" not in existing:
        op.create_table(
            "inbox",
            sa.Column("consumer", sa.String(length=100), nullable=False),
            sa.Column("event_id", sa.String(length=64), nullable=False),
            sa.Column("topic", sa.String(length=200), nullable=False),
            sa.Column("handled_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                      nullable=False),
            sa.PrimaryKeyConstraint("consumer", "event_id"),
        )


def downgrade() -> None:
    op.drop_table("inbox")
    op.drop_index("ix_outbox_unsent", table_name="outbox")
    op.drop_table("outbox")
