"""Members by agency code, with their pension record.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("category", sa.String(1), nullable=False),
        sa.Column("contribution_months", sa.Integer, nullable=False),
        sa.Column("annual_benefit_yen", sa.BigInteger),
    )


def downgrade() -> None:
    op.drop_table("members")
