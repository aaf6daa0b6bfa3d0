"""Fixtures for the platform's unit tests."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from mynumber.platform import logs


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """logs.configure() with its handler writing to a string; logging restored afterwards."""
    names = ["", "mynumber", *logs.UVICORN_LOGGERS]
    saved = {
        name: (list(logger.handlers), logger.level, logger.propagate)
        for name in names
        for logger in [logging.getLogger(name)]
    }
    stream = io.StringIO()
    handler = logs.configure("INFO")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    yield stream
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
