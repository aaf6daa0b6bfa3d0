"""Standing approvals of free-area issuers (employers, 公安委員会).

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
        "free_area_approvals",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("issuer", sa.String(100), nullable=False, index=True),
        sa.Column("application", sa.String(8), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("free_area_approvals")
