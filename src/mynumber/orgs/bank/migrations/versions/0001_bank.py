"""Accounts: branch, deposit type, number, holder kana, open or closed.

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
        "accounts",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("branch_code", sa.String(3), nullable=False),
        sa.Column("deposit_type", sa.String(1), nullable=False),
        sa.Column("number", sa.String(7), nullable=False),
        sa.Column("holder_kana", sa.String(30), nullable=False),
        sa.Column("status", sa.String(6), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("branch_code", "deposit_type", "number", name="accounts_by_number"),
    )


def downgrade() -> None:
    op.drop_table("accounts")
