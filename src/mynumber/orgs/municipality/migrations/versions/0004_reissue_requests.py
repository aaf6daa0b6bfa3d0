"""A municipality: number re-issue requests, approved by a second supervisor.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reissue_requests",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("resident_id", sa.String(16), sa.ForeignKey("residents.id"), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(24), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("approved_by", sa.String(24)),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_reissue_requests_resident_id", "reissue_requests", ["resident_id"])


def downgrade() -> None:
    op.drop_index("ix_reissue_requests_resident_id", table_name="reissue_requests")
    op.drop_table("reissue_requests")
