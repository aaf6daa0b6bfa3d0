"""Platform tables in every organisation's database: signed-request nonces, staff directory,
sign-in challenges, sessions, access log.

Revision ID: p0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "p0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "seen_nonces",
        sa.Column("org", sa.String(40), primary_key=True),
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    op.create_index("seen_nonces_by_time", "seen_nonces", ["seen_at"])
    op.create_table(
        "staff_members",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("auth_serial", sa.String(40), unique=True),
        sa.Column("valid_from", _TZ, nullable=False),
        sa.Column("valid_to", _TZ),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("created_by", sa.String(24), nullable=False),
        sa.Column("removed_at", _TZ),
    )
    op.create_table(
        "staff_challenges",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("code", sa.String(8), nullable=False, unique=True),
        sa.Column("nonce", sa.LargeBinary(32), nullable=False),
        sa.Column("pair_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("expires_at", _TZ, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("staff_id", sa.String(24)),
        sa.Column("serial", sa.String(40)),
        sa.Column("reason", sa.String(40)),
        sa.Column("certificate", sa.LargeBinary),
        sa.Column("used_at", _TZ),
        sa.Column("claimed_at", _TZ),
    )
    op.create_index("staff_challenges_by_expiry", "staff_challenges", ["expires_at"])
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("serial", sa.String(40)),
        sa.Column("certificate", sa.LargeBinary),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("last_seen", _TZ, nullable=False),
        sa.Column("expires_at", _TZ, nullable=False),
        sa.Column("status_checked_at", _TZ),
        sa.Column("ended_at", _TZ),
        sa.Column("end_reason", sa.String(20)),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_table(
        "access_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(24), nullable=False),
        sa.Column("actor_name", sa.String(60), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("person", sa.String(40)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(80), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("disclosed", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("access_log_by_person", "access_log", ["person"])
    op.create_index("access_log_undisclosed", "access_log", ["disclosed", "seq"])
    head = op.create_table(
        "access_log_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64}])


def downgrade() -> None:
    for table in (
        "access_log_head",
        "access_log",
        "staff_sessions",
        "staff_challenges",
        "staff_members",
        "seen_nonces",
    ):
        op.drop_table(table)
