"""Load the payments test kit under a unique module name (tests have no packages)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_paykit() -> ModuleType:
    name = "mynumber_test_paykit"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parent / "paykit.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


load_paykit()
