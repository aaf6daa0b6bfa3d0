"""Mynaportal's shape, checked on its source: routes are declared only in its web layer,
tables only in its store, and no form or request body it serves asks for a PIN or a
signing password (those go to the card, on the resident's device)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pydantic

import mynumber.orgs.portal
from mynumber.orgs.portal import schemas

PORTAL = Path(mynumber.orgs.portal.__file__).parent
#: Field names that would carry a card secret.
SECRET = re.compile(r"pin|password|passcode|暗証", re.IGNORECASE)


def modules() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(PORTAL)): ast.parse(path.read_text(encoding="utf-8"))
        for path in PORTAL.rglob("*.py")
        if "migrations" not in path.parts
    }


def names_used(tree: ast.Module) -> set[str]:
    found = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    found |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    return found


def test_only_the_web_layer_declares_routes() -> None:
    declaring = {
        name
        for name, tree in modules().items()
        if names_used(tree) & {"APIRouter", "add_api_route", "api_route"}
        or any(
            isinstance(d, ast.Call)
            and isinstance(d.func, ast.Attribute)
            and d.func.attr in {"get", "post", "put", "delete", "patch"}
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            for d in f.decorator_list
        )
    }
    assert declaring and all(name.startswith("web/") for name in declaring), declaring


def test_only_the_store_declares_tables() -> None:
    declaring = {
        name for name, tree in modules().items() if names_used(tree) & {"Table", "MetaData"}
    }
    assert declaring == {"store.py"}


def test_no_request_body_asks_for_a_card_secret() -> None:
    bodies = [
        value
        for value in vars(schemas).values()
        if isinstance(value, type) and issubclass(value, pydantic.BaseModel)
    ]
    assert bodies
    for body in bodies:
        asked = [name for name in body.model_fields if SECRET.search(name)]
        assert not asked, (body.__name__, asked)


def test_no_form_posts_a_card_secret_to_the_portal() -> None:
    """A PIN field may appear only without a ``name``: the login page's card-reader box
    hands the PIN to the local reader helper, and the browser never sends it here."""
    pages = list((PORTAL / "templates").glob("*.html"))
    assert pages
    for page in pages:
        for field in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page.read_text("utf-8")):
            name = re.search(r'\bname="([^"]*)"', field)
            assert name is None or not SECRET.search(name.group(1)), (page.name, field)
