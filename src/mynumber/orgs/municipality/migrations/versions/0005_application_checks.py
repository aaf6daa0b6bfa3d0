"""A municipality: what the reviewer saw checked when deciding, and an override's reason.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as table:
        table.add_column(sa.Column("checks", sa.Text()))
        table.add_column(sa.Column("override_reason", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("applications") as table:
        table.drop_column("override_reason")
        table.drop_column("checks")
