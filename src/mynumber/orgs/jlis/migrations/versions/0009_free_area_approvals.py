"""Standing approvals of free-area issuers (employers, 公安委員会).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "free_area_approvals",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("issuer", sa.String(100), nullable=False, index=True),
        sa.Column("application", sa.String(8), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("free_area_approvals")
