"""Only web layers declare routes and only ``store`` declares tables, for the
municipality and the platform's shared agency, delivery, notice and intermediate-server
modules (``lint-imports`` keeps the layer order; this checks what the layers hold)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

import mynumber

SRC = Path(mynumber.__file__).parent
MUNICIPALITY = SRC / "orgs" / "municipality"
WEB_FRAMEWORK = ("fastapi", "starlette")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("mynumber", *WEB_FRAMEWORK)


def _module(path: Path) -> str:
    return ".".join(("mynumber", *path.relative_to(SRC).with_suffix("").parts))


def _declares_tables(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Table"
        for node in ast.walk(tree)
    )


def test_only_the_municipalitys_store_declares_tables() -> None:
    declaring = {
        _module(p)
        for p in MUNICIPALITY.rglob("*.py")
        if "migrations" not in p.parts and _declares_tables(p)
    }
    assert declaring == {"mynumber.orgs.municipality.store"}


def test_only_the_municipalitys_web_layer_and_app_import_the_web_framework(graph) -> None:
    importers = {
        module
        for framework in WEB_FRAMEWORK
        for module in graph.find_modules_that_directly_import(framework)
        if module.startswith("mynumber.orgs.municipality")
    }
    assert importers
    outside = {
        m
        for m in importers
        if not m.startswith("mynumber.orgs.municipality.web")
        and m != "mynumber.orgs.municipality.app"
    }
    assert outside == set()


@pytest.mark.parametrize("name", ["agency", "deliveries", "intermediate", "notices", "wire"])
def test_the_platforms_shared_modules_declare_no_routes(graph, name: str) -> None:
    module = f"mynumber.platform.{name}"
    imported = graph.find_modules_directly_imported_by(module)
    assert not imported & {"fastapi", "starlette", "mynumber.platform.web"}
    assert graph.find_modules_that_directly_import("fastapi") & {
        f"mynumber.platform.web.{n}" for n in ("agency", "deliveries", "intermediate", "notices")
    }
