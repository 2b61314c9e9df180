"""audit_trail is append-only: UPDATE and DELETE are refused (PostgreSQL trigger)

Anyone with the service's database role can only add entries; changing one needs the table
owner to disable the trigger first, which the hash chain then exposes (GET /v1/audit/verify).

Revision ID: a1d17a9e0001
Revises: ef57b6b33ff5
Create Date: 2026-12-02
"""
from alembic import op

revision = "a1d17a9e0001"
down_revision = "ef57b6b33ff5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded SQLite default has no roles; the hash chain still tells
    op.execute("""
        CREATE OR REPLACE FUNCTION audit_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_trail is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_trail
        FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_append_only();
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_trail_append_only ON audit_trail")
    op.execute("DROP FUNCTION IF EXISTS audit_trail_append_only()")
