"""Programmes, run rounds, eligibility, payees, instructions, transfer files, notices,
applications.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

CREDITED = sa.text("status = 'credited'")


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("per", sa.String(9), nullable=False),
        sa.Column("municipalities", sa.String(400), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("min_age", sa.Integer),
        sa.Column("max_age", sa.Integer),
        sa.Column("payer_name", sa.String(40), nullable=False),
        sa.Column("payer_code", sa.String(10), nullable=False),
        sa.Column("payer_bank", sa.String(4), nullable=False),
        sa.Column("payer_branch", sa.String(3), nullable=False),
        sa.Column("payer_deposit_type", sa.String(1), nullable=False),
        sa.Column("payer_account", sa.String(7), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("programme_id", sa.String(16), sa.ForeignKey("programmes.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("phase", sa.String(12), nullable=False),
        sa.Column("transfer_date", sa.Date, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("programme_id", "number", name="one_round_number"),
    )
    op.create_table(
        "eligibility_cursors",
        sa.Column("programme_id", sa.String(16), sa.ForeignKey("programmes.id"), primary_key=True),
        sa.Column("municipality", sa.String(6), primary_key=True),
        sa.Column("after", sa.String(64)),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("read", sa.Integer, nullable=False),
    )
    op.create_table(
        "eligibles",
        sa.Column("programme_id", sa.String(16), sa.ForeignKey("programmes.id"), primary_key=True),
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("household", sa.String(64), nullable=False),
        sa.Column("head", sa.Boolean, nullable=False),
        sa.Column("kana", sa.String(60), nullable=False),
        sa.Column("age", sa.Integer, nullable=False),
    )
    op.create_table(
        "payees",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("programme_id", sa.String(16), sa.ForeignKey("programmes.id"), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("household", sa.String(64), nullable=False),
        sa.Column("name", sa.String(30), nullable=False),
        sa.Column("members", sa.Integer, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.UniqueConstraint("programme_id", "code", name="one_payee_per_code"),
    )
    op.create_table(
        "instructions",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("programme_id", sa.String(16), sa.ForeignKey("programmes.id"), nullable=False),
        sa.Column("payee_id", sa.String(16), sa.ForeignKey("payees.id"), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("bank_code", sa.String(4), nullable=False),
        sa.Column("branch_code", sa.String(3), nullable=False),
        sa.Column("deposit_type", sa.String(1), nullable=False),
        sa.Column("account_number", sa.String(7), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("file_id", sa.String(64)),
        sa.Column("record_index", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint(
            "programme_id", "payee_id", "attempt", name="one_instruction_per_attempt"
        ),
        sa.UniqueConstraint("payee_id", "round", name="one_instruction_per_round"),
    )
    op.create_index(
        "one_credit_per_payee",
        "instructions",
        ["programme_id", "payee_id"],
        unique=True,
        sqlite_where=CREDITED,
        postgresql_where=CREDITED,
    )
    op.create_index("instructions_by_file", "instructions", ["file_id", "record_index"])
    op.create_table(
        "transfer_files",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("programme_id", sa.String(16), sa.ForeignKey("programmes.id"), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("bank_code", sa.String(4), nullable=False),
        sa.Column("part", sa.Integer, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("result_path", sa.Text),
        sa.Column("credited_count", sa.Integer),
        sa.Column("credited_total", sa.BigInteger),
        sa.Column("settled_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("programme_id", sa.String(16), sa.ForeignKey("programmes.id"), nullable=False),
        sa.Column("payee_id", sa.String(16), sa.ForeignKey("payees.id"), nullable=False),
        sa.Column("subject", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("delivery_id", sa.String(64)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("payee_id", "subject", name="one_notice_per_subject"),
    )
    op.create_table(
        "applications",
        sa.Column("programme_id", sa.String(16), sa.ForeignKey("programmes.id"), primary_key=True),
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("choice", sa.String(10), nullable=False),
        sa.Column("bank_code", sa.String(4)),
        sa.Column("branch_code", sa.String(3)),
        sa.Column("deposit_type", sa.String(1)),
        sa.Column("account_number", sa.String(7)),
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for name in (
        "applications",
        "notices",
        "transfer_files",
        "instructions",
        "payees",
        "eligibles",
        "eligibility_cursors",
        "rounds",
        "programmes",
    ):
        op.drop_table(name)
