"""The office keeps its codes: a person is enrolled (J-LIS → hub) once, not per programme.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enrolments",
        sa.Column("number_fp", sa.String(32), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("enrolments")
