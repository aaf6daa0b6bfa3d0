"""Mynaportal: 本人確認情報の提供状況 — who looked at or changed the person's resident record.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_accesses",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("portal_code", sa.String(32), nullable=False),
        sa.Column("sender_org", sa.String(40), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("role", sa.String(100), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("purpose", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("portal_code", "sender_org", "ref", name="one_record_access_per_ref"),
    )
    op.create_index("record_accesses_by_person", "record_accesses", ["portal_code", "at"])


def downgrade() -> None:
    op.drop_index("record_accesses_by_person", table_name="record_accesses")
    op.drop_table("record_accesses")
