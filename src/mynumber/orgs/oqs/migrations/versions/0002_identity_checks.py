"""本人確認判定 results: an eligibility copy against a card holder, as J-LIS answered.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_checks",
        sa.Column("record", sa.String(16), primary_key=True),
        sa.Column("serial", sa.String(40), primary_key=True),
        sa.Column("matches", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("identity_checks")
