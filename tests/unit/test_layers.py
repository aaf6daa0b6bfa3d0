"""Only web layers declare routes and only ``store`` declares tables, in every organisation
and in the platform's shared agency, delivery, notice and intermediate-server modules;
services layers take a unit of work, never an engine (``lint-imports`` keeps the layer
order; this checks what the layers hold)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

import mynumber

SRC = Path(mynumber.__file__).parent
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


ORGS = sorted(p.name for p in (SRC / "orgs").iterdir() if (p / "__init__.py").is_file())
#: The web layer of an organisation: its ``web`` package or module, its ``deps`` module of
#: route dependencies; ``app`` composes the organisation (and mounts the routers).
WEB_LAYER = {"web", "deps", "app"}


def test_only_store_modules_declare_tables() -> None:
    """Every table of the organisations and of the platform is declared in a ``store``
    module (their migrations aside)."""
    declaring = {
        _module(p)
        for root in (SRC / "orgs", SRC / "platform")
        for p in root.rglob("*.py")
        if "migrations" not in p.parts and _declares_tables(p)
    }
    assert declaring
    assert {m for m in declaring if m.rsplit(".", 1)[1] != "store"} == set()


@pytest.mark.parametrize("org", ORGS)
def test_only_the_web_layer_and_app_import_the_web_framework(graph, org: str) -> None:
    prefix = f"mynumber.orgs.{org}"
    importers = {
        module
        for framework in WEB_FRAMEWORK
        for module in graph.find_modules_that_directly_import(framework)
        if module == prefix or module.startswith(prefix + ".")
    }
    assert importers  # every organisation serves something
    outside = {m for m in importers if m.removeprefix(prefix)[1:].split(".")[0] not in WEB_LAYER}
    assert outside == set()


@pytest.mark.parametrize("name", ["agency", "deliveries", "intermediate", "notices", "wire"])
def test_the_platforms_shared_modules_declare_no_routes(graph, name: str) -> None:
    module = f"mynumber.platform.{name}"
    imported = graph.find_modules_directly_imported_by(module)
    assert not imported & {"fastapi", "starlette", "mynumber.platform.web"}
    assert graph.find_modules_that_directly_import("fastapi") & {
        f"mynumber.platform.web.{n}" for n in ("agency", "deliveries", "intermediate", "notices")
    }


# --- services take a unit of work ----------------------------------------------------------

#: Organisations whose use cases take a unit of work from their caller, never an engine.
UNIT_OF_WORK_ORGS = [
    "accounts",
    "bank",
    "benefits",
    "clinic",
    "hub",
    "insurer",
    "jlis",
    "municipality",
    "oqs",
    "police",
    "portal",
    "trustplatform",
]

#: An organisation without a ``services`` package (J-LIS, the hub, …) keeps its use cases in
#: modules beside its layers: every module but these (and the packages ``web`` and
#: ``migrations``) is its services layer.
NOT_SERVICES = {"app", "store", "schemas", "model", "clients", "web", "deps"}


def _services_layer(org: str) -> list[Path]:
    """The organisation's services package (every module in it), or else every module of
    the organisation outside its other layers."""
    root = SRC / "orgs" / org
    package = root / "services"
    if package.is_dir():
        return sorted(package.rglob("*.py"))
    return sorted(p for p in root.glob("*.py") if p.stem not in NOT_SERVICES)


def _names_engine(node: ast.AST | None) -> bool:
    """An annotation that mentions ``Engine`` (also inside ``X | None``, strings, …)."""
    if node is None:
        return False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id == "Engine":
            return True
        if isinstance(sub, ast.Attribute) and sub.attr == "Engine":
            return True
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and "Engine" in sub.value:
            return True
    return False


def _is_engine(node: ast.AST) -> bool:
    """An expression that reads as an engine: ``engine``, ``self.engine``,
    ``self.issuer.engine``, or a call that makes one (``create_org_engine(…)``)."""
    if isinstance(node, ast.Name):
        return "engine" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "engine" in node.attr.lower()
    if isinstance(node, ast.Call):
        return _is_engine(node.func)
    return False


def engine_uses(source: str) -> list[str]:
    """Where a module annotates, stores or opens an engine (``line: what``, by line)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.ImportFrom) and any(a.name == "Engine" for a in node.names):
            found.append((line, "imports Engine"))
        if isinstance(node, ast.arg) and _names_engine(node.annotation):
            found.append((line, f"parameter {node.arg} is an Engine"))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _names_engine(node.returns):
            found.append((line, f"{node.name} returns an Engine"))
        if isinstance(node, ast.AnnAssign) and _names_engine(node.annotation):
            found.append((line, "annotates an Engine"))
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_is_engine(t) for t in targets):
                found.append((line, "stores an engine"))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("begin", "connect")
            and _is_engine(node.func.value)
        ):
            found.append((line, f"opens the engine with .{node.func.attr}()"))
    return [f"{line}: {what}" for line, what in sorted(found)]


@pytest.mark.parametrize("org", UNIT_OF_WORK_ORGS)
def test_the_services_layer_takes_a_unit_of_work_not_an_engine(org: str) -> None:
    """No module of the services layer annotates or stores an ``Engine`` or opens one with
    ``.begin()``/``.connect()``: a use case works in the ``UnitOfWork`` its caller gives."""
    modules = _services_layer(org)
    assert modules and all(p.is_file() for p in modules)
    uses = {
        _module(p): found for p in modules if (found := engine_uses(p.read_text(encoding="utf-8")))
    }
    assert uses == {}


def test_the_provider_agencies_take_a_unit_of_work_not_an_engine() -> None:
    """The shape every provider agency shares (tax, pension, the insurers) holds no engine:
    its intake, answers and health work in the caller's ``UnitOfWork``."""
    source = (SRC / "platform" / "agency.py").read_text(encoding="utf-8")
    assert engine_uses(source) == []


def test_the_engine_check_sees_what_it_forbids() -> None:
    held = """
from sqlalchemy import Engine

class Service:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def read(self) -> None:
        with self.engine.connect() as conn:
            pass
        with self.issuer.engine.begin() as conn:
            pass
"""
    assert engine_uses(held) == [
        "2: imports Engine",
        "5: parameter engine is an Engine",
        "6: stores an engine",
        "9: opens the engine with .connect()",
        "11: opens the engine with .begin()",
    ]
    given = """
from mynumber.platform.uow import UnitOfWork

def read(uow: UnitOfWork) -> None:
    with uow as conn:
        conn.begin_nested()
"""
    assert engine_uses(given) == []
