"""介護保険 被保険者: the municipality's insured persons and their 認定.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "care_insured",
        sa.Column("resident_id", sa.String(16), sa.ForeignKey("residents.id"), primary_key=True),
        sa.Column("insured_number", sa.String(10), nullable=False, unique=True),
        sa.Column("category", sa.String(1), nullable=False),
        sa.Column("qualified_on", sa.Date(), nullable=False),
        sa.Column("lost_on", sa.Date()),
        sa.Column("care_level", sa.String(10)),
        sa.Column("certified_from", sa.Date()),
        sa.Column("certified_to", sa.Date()),
        sa.Column("certified_by", sa.String(16)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("care_insured")
