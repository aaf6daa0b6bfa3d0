"""A unit of work: one transaction on an organisation's database, made by the caller of a
use case and committed by the use case once its work is whole.

Services take a :class:`UnitOfWork`, never an engine. The web layer makes one per request
(``Work`` in :mod:`mynumber.platform.web.uow`), a command makes one for its run, a service
test makes one over an in-memory SQLite database with just that organisation's tables::

    def register(uow: UnitOfWork, account: Account) -> str:
        with uow as conn:
            conn.execute(insert(store.accounts).values(...))
            uow.commit()

Leaving the block without :meth:`UnitOfWork.commit` rolls everything back, so a use case
that raises half-way leaves nothing behind. A use case that must ask another organisation
between two writes opens the unit twice (each ``with`` is its own transaction): no
transaction is held open across the network. Reads open it and simply leave.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

__all__ = ["UnitOfWork"]

T = TypeVar("T")


class UnitOfWork:
    """A connection and its commit on one organisation's database."""

    __slots__ = ("_connection", "_engine")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    @property
    def dialect(self) -> str:
        """The database's dialect name (``sqlite``, ``postgresql``)."""
        return self._engine.dialect.name

    @property
    def connection(self) -> Connection:
        """The open connection (only inside ``with``)."""
        if self._connection is None:
            raise RuntimeError("the unit of work is not open")
        return self._connection

    def __enter__(self) -> Connection:
        if self._connection is not None:
            raise RuntimeError("the unit of work is already open")
        self._connection = self._engine.connect()
        self._connection.begin()
        return self._connection

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()

    def commit(self) -> None:
        """Make what was done since the block opened (or the last commit) permanent."""
        self.connection.commit()

    def rollback(self) -> None:
        """Undo what was done since the block opened (or the last commit)."""
        self.connection.rollback()

    def run(self, work: Callable[[Connection], T], *, attempts: int = 3) -> T:
        """Open, do ``work``, commit; again (up to ``attempts``) if a unique key raced
        with another writer."""
        for attempt in range(attempts):
            try:
                with self as conn:
                    result = work(conn)
                    self.commit()
                    return result
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")
