"""``mynumber card show``: what any reader sees without a PIN, and never a key."""

from __future__ import annotations

import subprocess

import mynumber_test_cardkit as kit
from cryptography import x509
from typer.testing import CliRunner

from mynumber.card import CardFile
from mynumber.cli.card import app
from mynumber.reader import KeyKind


def _card_file(tmp_path):
    seal = tmp_path / "seal.key"
    seal.write_text("# DEMO\n" + kit.SEAL_KEY.hex() + "\n")
    path = tmp_path / "card.json"
    kit.make_card(store=CardFile(path))
    return path, seal


def test_show_lists_applications_certificates_token_and_pin_tries(tmp_path) -> None:
    path, seal = _card_file(tmp_path)
    before = path.read_bytes()
    result = CliRunner().invoke(
        app, ["show", str(path), "--seal-key-file", str(seal)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "D3 92 F0 00 26 01 00 00 00 01" in out and "JPKIAPICCTOKEN" in out
    assert "DEMO AUTH" in out and "user-authentication PIN" in out
    assert kit.MY_NUMBER not in out and "PRIVATE" not in out and "デモ" not in out
    assert path.read_bytes() == before  # show never writes


def test_show_pem_auth_prints_the_auth_certificate_that_openssl_reads(tmp_path) -> None:
    seal = tmp_path / "seal.key"
    seal.write_text("# DEMO\n" + kit.SEAL_KEY.hex() + "\n")
    path = tmp_path / "card.json"
    card = kit.make_card(store=CardFile(path))
    result = CliRunner().invoke(
        app, ["show", str(path), "--pem-auth", "--seal-key-file", str(seal)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("-----BEGIN CERTIFICATE-----\n")
    assert result.output.count("BEGIN CERTIFICATE") == 1
    assert (
        x509.load_pem_x509_certificate(result.output.encode()) == (card.certificates[KeyKind.AUTH])
    )
    pem = tmp_path / "auth.pem"
    pem.write_text(result.output)
    out = subprocess.run(
        ["openssl", "x509", "-in", str(pem), "-noout", "-subject"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0 and "DEMO AUTH" in out.stdout, out.stderr


def test_show_with_the_wrong_seal_key_is_an_error_not_a_traceback(tmp_path) -> None:
    path, _ = _card_file(tmp_path)
    other = tmp_path / "other.key"
    other.write_text("00" * 32)
    result = CliRunner().invoke(app, ["show", str(path), "--seal-key-file", str(other)])
    assert result.exit_code == 1 and "error" in result.output


def test_show_creates_a_demo_seal_key_when_missing(tmp_path) -> None:
    path, _ = _card_file(tmp_path)
    key = tmp_path / "var" / "card-seal.key"
    result = CliRunner().invoke(app, ["show", str(path), "--seal-key-file", str(key)])
    assert result.exit_code == 1  # a fresh demo key cannot open this image
    assert "DEMO" in key.read_text()
