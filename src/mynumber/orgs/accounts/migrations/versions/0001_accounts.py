"""Holders by agency code, one registered account per holder.

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
        "holders",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "registrations",
        sa.Column("holder_id", sa.String(16), sa.ForeignKey("holders.id"), primary_key=True),
        sa.Column("bank_code", sa.String(4), nullable=False),
        sa.Column("branch_code", sa.String(3), nullable=False),
        sa.Column("deposit_type", sa.String(1), nullable=False),
        sa.Column("account_number", sa.String(7), nullable=False),
        sa.Column("holder_kana", sa.String(30), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("registrations")
    op.drop_table("holders")
