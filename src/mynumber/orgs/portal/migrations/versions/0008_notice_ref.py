"""Mynaportal: a notice's sender organisation and its own reference, unique per person, so
a notice sent again (a retry after a crash) is kept once.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("sender_org", sa.String(40)))
        batch.add_column(sa.Column("ref", sa.String(64)))
        batch.create_unique_constraint("one_notice_per_ref", ["portal_code", "sender_org", "ref"])


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint("one_notice_per_ref", type_="unique")
        batch.drop_column("ref")
        batch.drop_column("sender_org")
