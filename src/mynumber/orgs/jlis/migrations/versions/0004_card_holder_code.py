"""The keyed hash of the holder's resident code on each card, for the portal link.

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cards", sa.Column("code_fp", sa.String(32)))
    op.create_index("ix_cards_code_fp", "cards", ["code_fp"])


def downgrade() -> None:
    op.drop_index("ix_cards_code_fp", "cards")
    with op.batch_alter_table("cards") as batch:
        batch.drop_column("code_fp")
