"""Credits by (paying bank, file id, record): a bank now credits records the Zengin network
carries to it from other paying banks, not only files handed to it; a payer's file is
claimed under its key before routing (``results`` NULL until every record is answered).

Rows from before routing keep ``paying_bank`` empty (the payer sent those files straight
to this bank).

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
    op.create_table(
        "routed_credits",
        sa.Column("paying_bank", sa.String(4), primary_key=True),
        sa.Column("file_id", sa.String(64), primary_key=True),
        sa.Column("record_index", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.String(16), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("credited_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO routed_credits "
        "(paying_bank, file_id, record_index, account_id, amount, credited_at) "
        "SELECT '', file_id, record_index, account_id, amount, credited_at FROM credits"
    )
    op.drop_table("credits")
    op.rename_table("routed_credits", "credits")
    with op.batch_alter_table("transfer_files") as table:
        table.alter_column("results", existing_type=sa.LargeBinary, nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM transfer_files WHERE results IS NULL")
    with op.batch_alter_table("transfer_files") as table:
        table.alter_column("results", existing_type=sa.LargeBinary, nullable=False)
    op.create_table(
        "direct_credits",
        sa.Column("file_id", sa.String(64), sa.ForeignKey("transfer_files.id"), primary_key=True),
        sa.Column("record_index", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.String(16), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("credited_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO direct_credits (file_id, record_index, account_id, amount, credited_at) "
        "SELECT file_id, record_index, account_id, amount, credited_at FROM credits "
        "WHERE file_id IN (SELECT id FROM transfer_files)"
    )
    op.drop_table("credits")
    op.rename_table("direct_credits", "credits")
