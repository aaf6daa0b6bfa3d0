"""Mynaportal: the portal's code for each person at the linkage hub.

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
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("hub_code", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("hub_code")
