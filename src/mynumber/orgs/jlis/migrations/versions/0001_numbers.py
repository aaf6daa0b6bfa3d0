"""Resident codes in use and My Numbers issued, as keyed hashes.

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
        "resident_codes",
        sa.Column("code_fp", sa.String(32), primary_key=True),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
    )
    op.create_table(
        "issued_numbers",
        sa.Column("number_fp", sa.String(32), primary_key=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
        sa.Column("retire_reason", sa.String(40)),
    )


def downgrade() -> None:
    op.drop_table("issued_numbers")
    op.drop_table("resident_codes")
