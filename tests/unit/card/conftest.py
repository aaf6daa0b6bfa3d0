"""Fixtures for the chip tests: demo keys (fast), blank and personalised chips."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def load_cardkit() -> ModuleType:
    name = "mynumber_test_cardkit"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parent / "cardkit.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


kit = load_cardkit()


@pytest.fixture
def demo_key_source():
    """A key source handing out the pre-generated demo keys in tests/assets/demo-keys."""
    return kit.DemoKeySource()


@pytest.fixture
def blank_chip():
    """A freshly manufactured chip (personalisation state) and its issuer key."""
    return kit.manufacture()


@pytest.fixture
def card():
    """A personalised, activated demo card (no store: nothing written to disk)."""
    return kit.make_card()
