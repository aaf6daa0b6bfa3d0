"""The public API of mynumber.reader and mynumber.card, pinned."""

from __future__ import annotations

import mynumber.card
import mynumber.reader


def test_all_is_unique_and_importable() -> None:
    for module in (mynumber.card, mynumber.reader):
        assert len(set(module.__all__)) == len(module.__all__)
        for name in module.__all__:
            assert hasattr(module, name), name


def test_reader_does_not_import_the_chip() -> None:
    import ast
    from pathlib import Path

    root = Path(mynumber.reader.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("mynumber.card"), path.name
                assert node.module.split(".")[0] in {
                    "__future__",
                    "mynumber",
                    "cryptography",
                    "smartcard",
                    "typing",
                    "types",
                    "collections",
                    "dataclasses",
                    "enum",
                    "hashlib",
                    "re",
                    "struct",
                    "zlib",
                    # cms.py: detached CMS made by pyHanko with the card as the signer
                    "asn1crypto",
                    "concurrent",
                    "pyhanko",
                    # cms.py, pades.py: J-LIS's CA embedded beside the signing certificate
                    "pyhanko_certvalidator",
                }, (path.name, node.module)
                if node.module.startswith("mynumber."):
                    assert node.module.startswith(("mynumber.reader", "mynumber.errors")), (
                        path.name,
                        node.module,
                    )
