"""The generation-2 card's hierarchies: ``auth-g2`` and ``sign-g2`` need longer names.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TABLES = ("certificates", "crl_numbers")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("hierarchy", type_=sa.String(8), existing_type=sa.String(4))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("hierarchy", type_=sa.String(4), existing_type=sa.String(8))
