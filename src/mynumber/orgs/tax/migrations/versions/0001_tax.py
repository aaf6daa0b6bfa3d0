"""Taxpayers by agency code, income per year.

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
        "taxpayers",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "incomes",
        sa.Column("taxpayer_id", sa.String(16), sa.ForeignKey("taxpayers.id"), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("income_yen", sa.BigInteger, nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incomes")
    op.drop_table("taxpayers")
