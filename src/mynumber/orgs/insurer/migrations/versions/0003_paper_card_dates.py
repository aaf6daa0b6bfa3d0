"""The paper 被保険者証 a member holds and the 資格確認書 issued to them (End of paper cards).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    "paper_card_issued_on",
    "paper_card_expires_on",
    "certificate_issued_on",
    "certificate_valid_to",
)


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Date()))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
