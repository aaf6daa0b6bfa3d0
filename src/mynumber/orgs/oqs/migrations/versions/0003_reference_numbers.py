"""照会番号: the number an institution registered for a patient.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_numbers",
        sa.Column("institution", sa.String(10), primary_key=True),
        sa.Column("number", sa.String(10), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("institution", "code", name="uq_reference_numbers_person"),
    )


def downgrade() -> None:
    op.drop_table("reference_numbers")
