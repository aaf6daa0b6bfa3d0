"""The benefit office's tables. People appear only under the office's own agency code
(機関別符号); a My Number is never stored here (``enrolments`` keeps a keyed hash of it).

Unique keys carry the payment rules: one payee per (programme, code); one payment
instruction per (programme, payee, attempt) and per (payee, round); at most one credited
instruction per (programme, payee) — whatever crashes, nobody is paid twice.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

#: A benefit programme (特定公的給付): who is eligible, how much, from which account.
programmes = Table(
    "programmes",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("amount", BigInteger, nullable=False),  # yen per person (or per member)
    Column("per", String(9), nullable=False),  # person | household
    Column("municipalities", String(400), nullable=False),  # space-separated codes
    Column("as_of", Date, nullable=False),  # 基準日
    Column("min_age", Integer),
    Column("max_age", Integer),
    Column("payer_name", String(40), nullable=False),  # 振込依頼人名, Zengin kana
    Column("payer_code", String(10), nullable=False),  # 振込依頼人コード
    Column("payer_bank", String(4), nullable=False),  # 仕向銀行
    Column("payer_branch", String(3), nullable=False),
    Column("payer_deposit_type", String(1), nullable=False),
    Column("payer_account", String(7), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # the staff member who made it, and the other one who approved it (a run needs both)
    Column("created_by", String(40)),
    Column("approved_by", String(40)),
    Column("approved_at", UtcDateTime),
)

#: One run round (回) of a programme: its phase, so a crashed run resumes where it stopped.
rounds = Table(
    "rounds",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("programme_id", String(16), ForeignKey("programmes.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("phase", String(12), nullable=False),
    Column("transfer_date", Date, nullable=False),  # 振込指定日 of the round's files
    Column("file_records", Integer),  # records per part of its file, once they are cut
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    # who runs the round now (host:pid) and until when, unless it renews: one run at a time
    Column("lease_owner", String(80)),
    Column("lease_until", UtcDateTime),
    UniqueConstraint("programme_id", "number", name="one_round_number"),
)

#: How far eligibility was read from each municipality (the resident-id cursor), per range
#: of it (``part``: on an engine the municipality's list is cut in ranges that end at
#: ``upto``, read side by side; else one range, part 0, to the end).
eligibility_cursors = Table(
    "eligibility_cursors",
    metadata,
    Column("programme_id", String(16), ForeignKey("programmes.id"), primary_key=True),
    Column("municipality", String(6), primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("after", String(64)),
    Column("upto", String(64)),
    Column("done", Boolean, nullable=False),
    Column("read", Integer, nullable=False),
)

#: The office's code for each My Number it has enrolled, so a person is enrolled once, not
#: once per programme: under a keyed hash of the number (the office's own key, as J-LIS
#: keeps ``number_fp``), never the number itself. A re-issued number hashes anew and is
#: enrolled again, to the same code (the code follows the resident code, not the number).
enrolments = Table(
    "enrolments",
    metadata,
    Column("number_fp", String(32), primary_key=True),
    Column("code", String(32), nullable=False),
    sqlite_with_rowid=False,  # on SQLite, clustered on the hash: one search finds a code
)

#: Eligible people of a household programme as the municipalities listed them, under the
#: office's code only (a per-person programme's eligible people are its payees).
eligibles = Table(
    "eligibles",
    metadata,
    Column("programme_id", String(16), ForeignKey("programmes.id"), primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("municipality", String(6), nullable=False),
    Column("household", String(64), nullable=False),
    Column("head", Boolean, nullable=False),
    Column("kana", String(60), nullable=False),
    Column("age", Integer, nullable=False),
)
#: A programme's eligible people of one municipality: its households' payees are a part.
Index("eligibles_by_municipality", eligibles.c.programme_id, eligibles.c.municipality)

#: Who is paid: one row per (programme, code); a household benefit pays its head.
payees = Table(
    "payees",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("programme_id", String(16), ForeignKey("programmes.id"), nullable=False),
    Column("code", String(32), nullable=False),
    Column("municipality", String(6), nullable=False),
    Column("household", String(64), nullable=False),
    Column("name", String(30), nullable=False),  # 受取人名, Zengin kana
    Column("members", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),  # pending|no_account|instructed|credited|failed
    Column("reason", String(32)),
    UniqueConstraint("programme_id", "code", name="one_payee_per_code"),
)
#: A programme's payees in id order: a batch of open payees is read from where the last
#: one ended (``id > after``), not by sorting every payee of the programme again.
Index("payees_by_programme", payees.c.programme_id, payees.c.id)

#: Payment instructions (振込指示): one per attempt; the account it pays into.
instructions = Table(
    "instructions",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("programme_id", String(16), ForeignKey("programmes.id"), nullable=False),
    Column("payee_id", String(16), ForeignKey("payees.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    Column("source", String(12), nullable=False),  # registered | application
    Column("bank_code", String(4), nullable=False),
    Column("branch_code", String(3), nullable=False),
    Column("deposit_type", String(1), nullable=False),
    Column("account_number", String(7), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),  # planned | credited | failed
    Column("reason", String(32)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("settled_at", UtcDateTime),
    UniqueConstraint("programme_id", "payee_id", "attempt", name="one_instruction_per_attempt"),
    UniqueConstraint("payee_id", "round", name="one_instruction_per_round"),
)
_CREDITED = text("status = 'credited'")
Index(
    "one_credit_per_payee",
    instructions.c.programme_id,
    instructions.c.payee_id,
    unique=True,
    sqlite_where=_CREDITED,
    postgresql_where=_CREDITED,
)
#: A round's instructions in the order of its file's records (files.order): each part of
#: the file is read from this index between its two bounds, to be written and to be
#: settled (a record's index in its part is its place in this order).
Index(
    "instructions_in_file_order",
    *(instructions.c.programme_id, instructions.c.round, instructions.c.bank_code),
    *(instructions.c.branch_code, instructions.c.deposit_type, instructions.c.account_number),
    instructions.c.id,
)

#: Zengin 総合振込 files, one per paying bank (仕向銀行) per round (and part, over 999,999
#: records); ``bank_code`` is the paying bank the file is handed to.
transfer_files = Table(
    "transfer_files",
    metadata,
    Column("id", String(64), primary_key=True),  # also the Idempotency-Key at the bank
    Column("programme_id", String(16), ForeignKey("programmes.id"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("bank_code", String(4), nullable=False),
    Column("part", Integer, nullable=False),
    # the part's first and last records' keys in files.order (JSON lists): its records are
    # the round's instructions between them, in that order
    Column("first_key", Text, nullable=False),
    Column("last_key", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),  # written | settled
    Column("result_path", Text),
    Column("credited_count", Integer),
    Column("credited_total", BigInteger),
    Column("settled_at", UtcDateTime),
)

#: Notices sent (or tried) through the hub: one per (payee, subject), so none is repeated.
notices = Table(
    "notices",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("programme_id", String(16), ForeignKey("programmes.id"), nullable=False),
    Column("payee_id", String(16), ForeignKey("payees.id"), nullable=False),
    Column("subject", String(40), nullable=False),  # credited:<id> | failed:<id> | no_account
    Column("kind", String(12), nullable=False),
    Column("round", Integer, nullable=False),
    Column("outcome", String(12), nullable=False),  # pending | delivered | paper
    Column("delivery_id", String(64)),
    Column("sent_at", UtcDateTime),
    UniqueConstraint("payee_id", "subject", name="one_notice_per_subject"),
)
#: A programme's notices still to send, in id order: each batch of them is found at the
#: front of this index, not by scanning and sorting every notice of the programme.
Index("notices_to_send", notices.c.programme_id, notices.c.outcome, notices.c.id)

#: One-click applications from Mynaportal (a hub delivery), the newest per person.
applications = Table(
    "applications",
    metadata,
    Column("programme_id", String(16), ForeignKey("programmes.id"), primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("choice", String(10), nullable=False),  # registered | account
    Column("bank_code", String(4)),
    Column("branch_code", String(3)),
    Column("deposit_type", String(1)),
    Column("account_number", String(7)),
    Column("delivery_id", String(64), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
)
