"""A file part is known by its first and last records' keys in the file's order, not by
a mark on each of its instructions: writing a part updates no instruction (an instruction
is ``planned`` until its part is settled, then ``credited`` or ``failed``). A round keeps
how many records a part of its file holds, once they are cut. On SQLite, the enrolments
are a table clustered on their hash (``WITHOUT ROWID``): a code is found by one search.
A municipality's eligibility is read in ranges (``part``, ending at ``upto``); a cursor
kept before is its municipality's only range, part 0.

Revision ID: 0005
Revises: 0004
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: A part's records, in the order of its file (each instruction's key in files.order).
_RECORDS = sa.text(
    "SELECT bank_code, branch_code, deposit_type, account_number, id FROM instructions "
    "WHERE file_id = :f ORDER BY record_index"
)


def _enrolments(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's tables have no rowid: nothing to change
    op.rename_table("enrolments", "enrolments_before")
    op.create_table(
        "enrolments",
        sa.Column("number_fp", sa.String(32), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sqlite_with_rowid=with_rowid,
    )
    op.execute("INSERT INTO enrolments SELECT number_fp, code FROM enrolments_before")
    op.drop_table("enrolments_before")


def _cursors(key: list[str], *, ranges: bool) -> sa.Table:
    """The cursors table keyed on ``key``, with its range columns or without."""

    def column(name: str, kind: Any, *extra: Any, nullable: bool = True) -> sa.Column[Any]:
        keyed = name in key
        return sa.Column(name, kind, *extra, primary_key=keyed, nullable=nullable and not keyed)

    columns = [
        column("programme_id", sa.String(16), sa.ForeignKey("programmes.id")),
        column("municipality", sa.String(6)),
        *([column("part", sa.Integer, nullable=False)] if ranges else []),
        column("after", sa.String(64)),
        *([column("upto", sa.String(64))] if ranges else []),
        column("done", sa.Boolean, nullable=False),
        column("read", sa.Integer, nullable=False),
    ]
    return sa.Table("eligibility_cursors", sa.MetaData(), *columns)


def _cursor_key(key: list[str], *, ranges: bool) -> None:
    """Cursors per range of a municipality (``ranges``: part and upto, part in the key),
    or back to one cursor per municipality (a downgrade keeps each one's first range)."""
    table = "eligibility_cursors"
    if ranges:
        op.add_column(table, sa.Column("part", sa.Integer, nullable=False, server_default="0"))
        op.add_column(table, sa.Column("upto", sa.String(64)))
    else:
        op.execute("DELETE FROM eligibility_cursors WHERE part > 0")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, key)
        if ranges:
            op.alter_column(table, "part", server_default=None)
        else:
            op.drop_column(table, "upto")
            op.drop_column(table, "part")
    else:  # SQLite changes a key by rebuilding the table, in the shape given
        shape = _cursors(key, ranges=ranges)
        with op.batch_alter_table(table, copy_from=shape, recreate="always"):
            pass


def upgrade() -> None:
    _enrolments(with_rowid=False)
    _cursor_key(["programme_id", "municipality", "part"], ranges=True)
    op.add_column("rounds", sa.Column("file_records", sa.Integer))
    with op.batch_alter_table("transfer_files") as batch:
        batch.add_column(sa.Column("first_key", sa.Text, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("last_key", sa.Text, nullable=False, server_default="[]"))
    conn = op.get_bind()
    for (file_id,) in conn.execute(sa.text("SELECT id FROM transfer_files")).all():
        keys = conn.execute(_RECORDS, {"f": file_id}).all()
        if keys:
            conn.execute(
                sa.text("UPDATE transfer_files SET first_key = :a, last_key = :z WHERE id = :f"),
                {"a": json.dumps(list(keys[0])), "z": json.dumps(list(keys[-1])), "f": file_id},
            )
    conn.execute(sa.text("UPDATE instructions SET status = 'planned' WHERE status = 'filed'"))
    with op.batch_alter_table("transfer_files") as batch:
        batch.alter_column("first_key", server_default=None)
        batch.alter_column("last_key", server_default=None)
    op.drop_index("instructions_by_file", table_name="instructions")
    with op.batch_alter_table("instructions") as batch:
        batch.drop_column("record_index")
        batch.drop_column("file_id")


def downgrade() -> None:
    _enrolments(with_rowid=True)
    _cursor_key(["programme_id", "municipality"], ranges=False)
    with op.batch_alter_table("instructions") as batch:
        batch.add_column(sa.Column("file_id", sa.String(64)))
        batch.add_column(sa.Column("record_index", sa.Integer))
    op.create_index("instructions_by_file", "instructions", ["file_id", "record_index"])
    with op.batch_alter_table("transfer_files") as batch:
        batch.drop_column("last_key")
        batch.drop_column("first_key")
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("file_records")
