"""The import contracts that keep cards on the resident's side: nothing under the portal
(nor any organisation but J-LIS's card issuance) imports the card or reader packages, and
the devices never import an organisation. ``lint-imports`` enforces the same."""

from __future__ import annotations

import grimp
import pytest


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("mynumber")


@pytest.mark.parametrize("package", ["mynumber.card", "mynumber.reader"])
def test_the_portal_never_imports_card_or_reader_code(graph, package: str) -> None:
    assert not graph.chain_exists("mynumber.orgs.portal", package, as_packages=True)


@pytest.mark.parametrize("package", ["mynumber.card", "mynumber.reader"])
def test_only_jlis_card_issuance_imports_card_code_among_the_organisations(
    graph, package: str
) -> None:
    modules = {package} | graph.find_descendants(package)
    importers = {
        importer
        for module in modules
        for importer in graph.find_modules_that_directly_import(module)
        if importer.startswith("mynumber.orgs.")
    }
    assert importers == {"mynumber.orgs.jlis.cards"}


def test_the_devices_never_import_an_organisation(graph) -> None:
    assert not graph.chain_exists("mynumber.devices", "mynumber.orgs", as_packages=True)
    assert graph.chain_exists("mynumber.devices.phone", "mynumber.reader", as_packages=True)
