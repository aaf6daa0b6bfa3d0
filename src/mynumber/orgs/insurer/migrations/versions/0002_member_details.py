"""The member's name, kana, sex, birth date, relation and co-payment ratio (what the
eligibility system answers clinics with).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (
    ("name", sa.String(100)),
    ("name_kana", sa.String(100)),
    ("sex", sa.String(1)),
    ("birth_date", sa.Date()),
    ("relation", sa.String(1)),
    ("insured_name", sa.String(100)),
    ("ratio", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
