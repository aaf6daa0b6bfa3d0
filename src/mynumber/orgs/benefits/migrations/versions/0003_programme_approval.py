"""Programmes carry who made them and who approved them: a run needs an approval by
another staff member.

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
    with op.batch_alter_table("programmes") as batch:
        batch.add_column(sa.Column("created_by", sa.String(40)))
        batch.add_column(sa.Column("approved_by", sa.String(40)))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
        batch.drop_column("created_by")
