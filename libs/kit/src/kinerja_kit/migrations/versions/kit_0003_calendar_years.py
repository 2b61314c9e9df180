"""the region calendar read model (calendar.year.v1)

Revision ID: kit_0003
Revises: kit_0002
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "kit_0003"
down_revision = "kit_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )


def downgrade() -> None:
    op.drop_table("calendar_years")
