"""Mynaportal: a link on each notice, and room for its encrypted title.

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
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("link", sa.String(300)))
        batch.alter_column("title", type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("title", type_=sa.String(200), existing_nullable=False)
        batch.drop_column("link")
