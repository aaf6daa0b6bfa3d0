"""A household programme's eligible people are read municipality by municipality (a
household lives in one), each municipality's payees a part of the run of their own.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("eligibles_by_municipality", "eligibles", ["programme_id", "municipality"])


def downgrade() -> None:
    op.drop_index("eligibles_by_municipality", table_name="eligibles")
