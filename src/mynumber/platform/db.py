"""One database per organisation: SQLite files by default, PostgreSQL when configured.

Each organisation declares its tables with SQLAlchemy Core in its own ``store`` module and
keeps its Alembic migrations in its own ``migrations`` folder; :func:`open_database`
creates the database if needed and brings it to the newest revision.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Engine,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeDecorator

from mynumber.platform.settings import Settings

_SAFE_NAME = re.compile(r"^[a-z0-9_]+$")


def database_name(settings: Settings, org: str) -> str:
    """The PostgreSQL database (or SQLite file stem) of an organisation."""
    name = f"{settings.database_prefix}_{org}".replace("-", "_").lower()
    if not _SAFE_NAME.match(name):
        raise ValueError(f"unsafe database name {name!r}")
    return name


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # the write-ahead log copied back into the database every 10,000 pages (~40 MiB), not
    # every 1,000: a bulk write rewrites the same index pages commit after commit, and a
    # checkpoint copies each page once however often it changed since the last one (a
    # benefit run: ~2.5 % less CPU, side by side)
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    # up to 512 MiB of page cache, allocated only as used: with millions of rows, index
    # upkeep on random keys dominates writes once the indexes outgrow the cache
    cursor.execute("PRAGMA cache_size=-524288")
    # reads straight from the file's pages in memory, shared by every connection and
    # process, instead of a copy into each connection's cache after another one wrote (a
    # benefit run's lookups: ~7 % less CPU). An I/O error under it is a signal, not an
    # error SQLite can return: PostgreSQL is the production database.
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()


def create_org_engine(settings: Settings, org: str) -> Engine:
    """An engine on the organisation's own database, creating the database if missing."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path = settings.data_dir / f"{org}.db"
        engine = create_engine(
            f"sqlite:///{path}", connect_args={"timeout": 30}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    name = database_name(settings, org)
    server = make_url(settings.database_url)
    ensure_postgres_database(server.render_as_string(hide_password=False), name)
    return create_engine(
        server.set(database=name),
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        hide_parameters=True,  # a failed statement's parameters may hold a My Number
    )


def ensure_postgres_database(server_url: str, name: str) -> None:
    """Create database ``name`` on the server unless it exists (CREATE DATABASE is not
    transactional, so this runs in autocommit on the maintenance database)."""
    admin = create_engine(
        make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def drop_postgres_databases(server_url: str, prefix: str) -> None:
    """Drop every database whose name starts with ``prefix_`` (test clean-up)."""
    admin = create_engine(
        make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            names = conn.scalars(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                {"p": f"{prefix}\\_%"},
            ).all()
            for name in names:
                if _SAFE_NAME.match(name):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database, the type of every datetime column.

    The database type stays ``DateTime(timezone=True)``. SQLite keeps no offset, so a value
    is stored as UTC and read back marked as UTC; PostgreSQL's ``timestamptz`` gives aware
    values already. A naive value is refused on the way in (its zone would be a guess).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime: give it a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


#: The Alembic history every organisation's database also carries: the tables of
#: ``platform/store.py`` (signed-request nonces, staff, sessions, access log), versioned in
#: a table of their own so each organisation's history stays its own.
PLATFORM_MIGRATIONS = "mynumber.platform.migrations"
PLATFORM_VERSION_TABLE = "alembic_version_platform"


def migrate(engine: Engine, migrations_package: str, *, with_platform: bool = True) -> None:
    """Upgrade the database to the newest revision of the given migrations package, and of
    the platform's shared tables (unless ``with_platform`` is False).

    An empty database gets the statements Alembic ran on the first empty database of the
    same histories and driver in this process, replayed (:class:`_Replay`): the same SQL on
    the same starting point, without loading and running the migration scripts again (a
    test run builds hundreds of databases). A database with tables is always upgraded by
    Alembic."""
    histories = [(migrations_package, "alembic_version")]
    if with_platform:
        histories.append((PLATFORM_MIGRATIONS, PLATFORM_VERSION_TABLE))
    key = (engine.url.drivername, tuple(histories))
    with engine.begin() as connection:
        if inspect(connection).get_table_names():
            _upgrade(connection, histories)
            return
        replay = _replays.get(key)
        if replay is not None:
            replay.run(connection)
            return
        recorded = _Replay()
        event.listen(connection, "before_cursor_execute", recorded.record)
        try:
            _upgrade(connection, histories)
        finally:
            event.remove(connection, "before_cursor_execute", recorded.record)
    _replays.setdefault(key, recorded)


def _upgrade(connection: Connection, histories: list[tuple[str, str]]) -> None:
    for package, version_table in histories:
        location = resources.files(package)
        config = Config()
        config.set_main_option("script_location", str(Path(str(location))))
        config.attributes["connection"] = connection
        config.attributes["version_table"] = version_table
        command.upgrade(config, "head")


class _Replay:
    """The statements (with their parameters) Alembic sent while migrating an empty
    database, to send again as they were to another empty database."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any, bool]] = []

    def record(
        self,
        _conn: Connection,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        self.statements.append((statement, parameters, executemany))

    def run(self, connection: Connection) -> None:
        cursor = connection.connection.cursor()
        try:
            for statement, parameters, executemany in self.statements:
                if executemany:
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters)
        finally:
            cursor.close()


#: per process: (driver, histories) → what migrating an empty database sent
_replays: dict[tuple[str, tuple[tuple[str, str], ...]], _Replay] = {}


def run_migrations_online() -> None:
    """The body of every organisation's Alembic ``env.py``."""
    from alembic import context

    connection = context.config.attributes["connection"]
    version_table = context.config.attributes.get("version_table", "alembic_version")
    context.configure(connection=connection, target_metadata=None, version_table=version_table)
    with context.begin_transaction():
        context.run_migrations()


def chunked(items: list[Any], size: int = 5000) -> Iterator[list[Any]]:
    """Slices of at most ``size`` items (SQLite caps the parameters of one statement)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def among(conn: Connection, column: Any, values: list[str]) -> ColumnElement[bool]:
    """``column IN values`` as one parameter however many values: a PostgreSQL array
    (``= ANY``), a JSON array on SQLite (``IN (SELECT value FROM json_each(?))``). A list
    of 10^5 values costs no statement of 10^5 placeholders nor slicing to SQLite's limit."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(String)))  # type: ignore[no-any-return]
    return column.in_(select(listed(conn, values).c.value))  # type: ignore[no-any-return]


def listed(conn: Connection, values: list[str]) -> TableValuedAlias:
    """``values`` as a table of one column, ``value``, as one parameter: a JSON array on
    SQLite (``json_each``), a PostgreSQL array (``unnest``).

    To look many keys up, select from it and outer-join the table on its key
    (``listed(…).outerjoin(table, table.c.key == listed.c.value)``); keys not found come
    back with NULLs. On SQLite each value is then looked up once, in the list's order (the
    outer join keeps the list as the outer loop; with an inner join the planner may scan
    the table instead), and a sorted list walks the table's index in order: half the work
    of ``key IN (SELECT value FROM json_each(?))`` (:func:`among`), which first copies the
    list into a temporary index."""
    if conn.dialect.name == "postgresql":
        array = bindparam(None, values, type_=ARRAY(String))
        return func.unnest(array).table_valued("value", name="listed").render_derived()
    return func.json_each(bindparam(None, json.dumps(values), type_=String)).table_valued(
        "value", name="listed"
    )


def every_nth(
    conn: Connection,
    keys: Sequence[ColumnElement[Any]],
    where: ColumnElement[bool],
    every: int,
    *,
    limit: int | None = None,
) -> list[tuple[Any, ...]]:
    """The ``keys`` of every ``every``-th row that ``where`` selects, in ``keys`` order (at
    most ``limit`` of them): where a long list is cut into ranges of ``every`` rows.

    Each is found from the one before, ``OFFSET every - 1`` past it along the index that
    serves the order: a walk down the index, a step per row, instead of numbering every
    row with ``row_number()`` and keeping the multiples (on SQLite a fifth to a twentieth
    of the CPU for 10^5 rows)."""
    if every < 1:
        raise ValueError("every must be at least 1")
    single = len(keys) == 1
    found: list[tuple[Any, ...]] = []
    while limit is None or len(found) < limit:
        bound = where
        if found:
            last = found[-1]
            after = keys[0] > last[0] if single else tuple_(*keys) > tuple_(*last)
            bound = and_(where, after)
        row = conn.execute(
            select(*keys).where(bound).order_by(*keys).limit(1).offset(every - 1)
        ).first()
        if row is None:
            break
        found.append(tuple(row))
    return found


def plain_rows(conn: Connection, statement: Select[Any]) -> list[Any]:
    """All rows of ``statement`` as the driver returns them: plain tuples, fetched at once,
    without a SQLAlchemy row object each (a bulk lookup of 10^5 keys: ~1 µs a row less).

    Only for columns the driver already returns as Python values (text, integers, a
    :func:`listed` value): a column whose type converts what it reads (a date or boolean
    on SQLite, a timestamp) raises ``TypeError`` before anything is run."""
    dialect = conn.dialect
    for column in statement.selected_columns:
        if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None:
            raise TypeError(f"column {column.key!r} needs converting: read it with execute()")
    result = conn.execute(statement)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def insert_ignoring_duplicates(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).on_conflict_do_nothing(), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)


def _sqlite_value(value: Any) -> Any:
    # the forms SQLAlchemy's SQLite Date and DateTime types store and read back
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def bulk_insert(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]] | list[tuple[Any, ...]],
    *,
    ignore_duplicates: bool = False,
) -> None:
    """Insert many rows at the speed of the driver: COPY on PostgreSQL, a raw
    ``executemany`` on SQLite (SQLAlchemy's per-row parameter handling is skipped).

    Every row must carry every column of the table: a dict by name, or a tuple in the
    table's column order (no dict per row for the caller to build). With
    ``ignore_duplicates`` a row that clashes with a unique key is skipped, as
    :func:`insert_ignoring_duplicates` does (on PostgreSQL the rows are copied into a
    temporary table first, then inserted from it with ``ON CONFLICT DO NOTHING``).
    """
    if not rows:
        return
    columns = [c.name for c in table.columns]
    values: Callable[[Any], Any] = (
        tuple if isinstance(rows[0], tuple) else operator.itemgetter(*columns)
    )
    names = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        target = table.name
        if ignore_duplicates:
            target = f"_incoming_{table.name}"
            conn.exec_driver_sql(
                f'CREATE TEMP TABLE IF NOT EXISTS "{target}" '
                f'(LIKE "{table.name}" INCLUDING DEFAULTS) ON COMMIT DROP'
            )
            conn.exec_driver_sql(f'TRUNCATE "{target}"')
        statement = f'COPY "{target}" ({names}) FROM STDIN'
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(values(row))
        except psycopg.errors.IntegrityError as exc:
            # the same exception SQLAlchemy raises for INSERT, so callers can retry alike
            raise IntegrityError(statement, None, exc) from None
        finally:
            cursor.close()
        if ignore_duplicates:
            conn.exec_driver_sql(
                f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{target}" '  # noqa: S608 - names from the schema
                "ON CONFLICT DO NOTHING"
            )
        return
    temporal = [
        i for i, c in enumerate(table.columns) if isinstance(c.type, Date | DateTime | UtcDateTime)
    ]

    converted: dict[Any, Any] = {}  # a batch mostly repeats one timestamp: convert it once

    def driver_row(row: Any) -> tuple[Any, ...]:
        out: list[Any] = list(values(row))
        for i in temporal:
            value = out[i]
            found = converted.get(value)
            if found is None:
                found = converted[value] = _sqlite_value(value)
            out[i] = found
        return tuple(out)

    marks = ", ".join("?" for _ in columns)
    verb = "INSERT OR IGNORE" if ignore_duplicates else "INSERT"
    conn.exec_driver_sql(
        f"{verb} INTO {table.name} ({names}) VALUES ({marks})",
        [driver_row(row) for row in rows] if temporal else [values(row) for row in rows],
    )
