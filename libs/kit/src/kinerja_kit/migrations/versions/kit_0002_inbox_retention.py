"""index for the inbox retention purge

Revision ID: kit_0002
Revises: kit_0001
Create Date: 2026-12-01
"""
from alembic import op

revision = "kit_0002"
down_revision = "kit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inbox_handled_at", "inbox", ["handled_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_inbox_handled_at", table_name="inbox")
