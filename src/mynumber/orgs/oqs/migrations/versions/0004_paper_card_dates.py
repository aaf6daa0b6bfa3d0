"""The documents a member holds besides the card: the paper 被保険者証 (issued, expiry) and
the 資格確認書 (its last day), for queries by insurance-card data.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ("paper_card_issued_on", "paper_card_expires_on", "certificate_valid_to")


def upgrade() -> None:
    with op.batch_alter_table("eligibility") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Date()))


def downgrade() -> None:
    with op.batch_alter_table("eligibility") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
