"""Fixtures for the platform's unit tests."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from mynumber.platform import logs


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """logs.configure() with its handler writing to a string; logging restored afterwards.

    The uvicorn and httpx loggers start at their default level, whatever a test before this
    one in the same process left: ``uvicorn.Config(log_level="error")`` sets uvicorn's
    loggers to ERROR for the rest of the process, and the warnings the tests log through
    them would then never reach the handler."""
    names = ["", "mynumber", *logs.UVICORN_LOGGERS, "httpx"]
    saved = {
        name: (list(logger.handlers), logger.level, logger.propagate, logger.disabled)
        for name in names
        for logger in [logging.getLogger(name)]
    }
    for name in [*logs.UVICORN_LOGGERS, "httpx"]:
        logger = logging.getLogger(name)
        logger.setLevel(logging.NOTSET)
        logger.disabled = False
    logging.getLogger().setLevel(logging.WARNING)  # the default, whatever a test set
    stream = io.StringIO()
    handler = logs.configure("INFO")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    yield stream
    for name, (handlers, level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled
