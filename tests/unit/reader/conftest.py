"""Fixtures for the host-side tests: personalised demo cards over ChipTransport."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load_cardkit() -> ModuleType:
    name = "mynumber_test_cardkit"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "card" / "cardkit.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


kit = _load_cardkit()


@pytest.fixture
def card():
    return kit.make_card()


@pytest.fixture
def client(card):
    from mynumber.reader import JPKIClient

    return JPKIClient(card.transport)
