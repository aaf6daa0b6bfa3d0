"""The municipality's agency codes and resident tax, for its intermediate server.

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
        "agency_codes",
        sa.Column("resident_id", sa.String(16), sa.ForeignKey("residents.id"), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "resident_taxes",
        sa.Column("resident_id", sa.String(16), sa.ForeignKey("residents.id"), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("amount_yen", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("resident_taxes")
    op.drop_table("agency_codes")
