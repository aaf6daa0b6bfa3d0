"""A package's names loaded from its modules on first use (PEP 562), so importing the
package costs nothing until a name is asked for: ``mynumber --help`` does not import every
organisation's app."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module


def names_of(
    package: str, names: Iterable[str], modules: Mapping[str, str], default: str
) -> Callable[[str], object]:
    """The package's ``__getattr__``: each of ``names`` from its module under the package
    (``modules[name]``, else ``default``), looked up once."""
    exported = frozenset(names)

    def attribute(name: str) -> object:
        if name not in exported:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{modules.get(name, default)}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return attribute
