"""The card's 追記欄: how many entries the counter wrote, when it filled, and a keyed hash of
the address the card carries.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "cards", sa.Column("endorsements", sa.Integer, nullable=False, server_default="0")
    )
    op.add_column("cards", sa.Column("endorsements_full_on", sa.Date))
    op.add_column("cards", sa.Column("address_fp", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.drop_column("address_fp")
        batch.drop_column("endorsements_full_on")
        batch.drop_column("endorsements")
