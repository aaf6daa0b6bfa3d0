"""The office keeps its codes: a person is enrolled (J-LIS → hub) once, not per programme;
a programme's payees, and its notices still to send, are indexed in id order (each batch
read from where the last ended, not found by sorting the whole programme again), and a
round's instructions in the order of its file's records (each part read between bounds).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enrolments",
        sa.Column("number_fp", sa.String(32), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
    )
    op.create_index("payees_by_programme", "payees", ["programme_id", "id"])
    op.create_index("notices_to_send", "notices", ["programme_id", "outcome", "id"])
    op.create_index(
        "instructions_in_file_order",
        "instructions",
        [
            "programme_id",
            "round",
            "bank_code",
            "branch_code",
            "deposit_type",
            "account_number",
            "id",
        ],
    )


def downgrade() -> None:
    op.drop_index("instructions_in_file_order", table_name="instructions")
    op.drop_index("notices_to_send", table_name="notices")
    op.drop_index("payees_by_programme", table_name="payees")
    op.drop_table("enrolments")
