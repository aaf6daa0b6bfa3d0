"""``mynumber licence read``: exit 0 and the licence once the police signature verifies;
exit 1 with the reason for a tampered licence or a wrong PIN (which counts down)."""

from __future__ import annotations

import mynumber_test_cardkit as kit
from cryptography.hazmat.primitives.serialization import Encoding
from typer.testing import CliRunner

from mynumber.card import CardFile, Chip, ChipTransport
from mynumber.card.freearea import derive_free_area_key
from mynumber.cli import app
from mynumber.reader.freearea import LICENCE_DATA_EF, FreeApp, FreeAreaSession


def _setup(tmp_path):
    seal = tmp_path / "seal.key"
    seal.write_text("# DEMO\n" + kit.SEAL_KEY.hex() + "\n")
    root = tmp_path / "police-root.pem"
    root.write_bytes(kit.police()[0].public_bytes(Encoding.PEM))
    path = tmp_path / "card.json"
    card = kit.make_card(store=CardFile(path))
    kit.police_write(card, kit.demo_licence())
    return card, path, seal, root


def _read(path, seal, root, pin):
    args = ["licence", "read", "--card", str(path), "--pin", pin, "--police-root", str(root)]
    return CliRunner().invoke(app, [*args, "--seal-key-file", str(seal)], env={"COLUMNS": "200"})


def test_read_verifies_and_shows_the_licence(tmp_path) -> None:
    _, path, seal, root = _setup(tmp_path)
    result = _read(path, seal, root, kit.LICENCE_PIN)
    assert result.exit_code == 0, result.output
    assert kit.demo_licence().number in result.output and "デモ 太郎" in result.output
    assert "普通・普自二" in result.output


def test_a_wrong_pin_counts_down_and_a_tampered_licence_is_refused(tmp_path) -> None:
    card, path, seal, root = _setup(tmp_path)
    wrong = _read(path, seal, root, "0000")
    assert wrong.exit_code == 1 and "2 tries left" in wrong.output
    # someone with the licence session rewrites the data but cannot re-sign it
    chip = Chip.from_image(path.read_bytes(), seal_key=kit.SEAL_KEY, store=CardFile(path))
    key = derive_free_area_key(card.issuer_key, FreeApp.LICENCE)
    forged = kit.demo_licence().to_bytes().replace("普通".encode(), "大型".encode())
    FreeAreaSession.open(ChipTransport(chip), FreeApp.LICENCE, key).write(LICENCE_DATA_EF, forged)
    tampered = _read(path, seal, root, kit.LICENCE_PIN)
    assert tampered.exit_code == 1 and "fails verification" in tampered.output
