"""``mynumber portal client add|list|remove``: relying parties of the OpenID Connect provider,
registered on the portal's own database (SQLite under ``--data``), then used by the portal."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from mynumber import federation
from mynumber.cli import main
from mynumber.orgs.portal import store as portal_store
from mynumber.platform.settings import Settings
from mynumber.platform.uow import UnitOfWork

pytestmark = pytest.mark.slow


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path):
    """The console script with ``--data`` in a fresh folder: (exit code, stdout, stderr)."""
    monkeypatch.delenv("MYNUMBER_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "250")

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["mynumber", *args, "--data", str(tmp_path)])
        with pytest.raises(SystemExit) as exited:
            main()
        out = capsys.readouterr()
        code = exited.value.code
        return (0 if code is None else int(code)), out.out, " ".join(out.err.split())

    return invoke


def test_a_confidential_client_gets_a_secret_shown_once_and_stored_as_a_hash(run, tmp_path):
    code, out, _ = run(
        "portal", "client", "add", "みらい銀行", "--redirect-uri", "https://bank.example/cb"
    )
    assert code == 0, out
    client_id = re.search(r"^client_id (\S+)$", out, re.M)
    secret = re.search(r"^client_secret (\S+)$", out, re.M)
    assert client_id is not None and secret is not None
    assert "shown only now" in out

    fed = federation.build(Settings(data_dir=tmp_path, seed_residents=0), in_process=True)
    try:
        with fed.services("portal").engine.connect() as conn:
            row = conn.execute(
                select(portal_store.oidc_clients).where(
                    portal_store.oidc_clients.c.client_id == client_id.group(1)
                )
            ).one()
        assert row.secret_hash == hashlib.sha256(secret.group(1).encode()).hexdigest()
        assert secret.group(1) not in str(tuple(row))
        client = fed.portal().oidc.clients.get(UnitOfWork(fed.portal().engine), client_id.group(1))
        assert client is not None and client.sector == "bank.example"
        assert client.check_client_secret(secret.group(1))
        assert not client.check_client_secret(secret.group(1)[:-1])
        # the portal refuses a token request with a wrong secret for it
        answer = fed.directory.http.post(
            "/portal/oidc/token",
            data={"grant_type": "authorization_code", "code": "x", "code_verifier": "y" * 43},
            auth=(client_id.group(1), "wrong"),
        )
        assert answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client"
    finally:
        fed.close()

    code, out, _ = run("portal", "client", "list")
    assert code == 0 and client_id.group(1) in out and "confidential" in out
    assert secret.group(1) not in out


def test_a_public_client_has_no_secret_and_can_be_removed(run):
    code, out, _ = run(
        "portal",
        "client",
        "add",
        "さくら商店",
        "--redirect-uri",
        "http://127.0.0.1:9000/cb",
        "--public",
    )
    assert code == 0, out
    assert "client_secret" not in out and "PKCE" in out
    client_id = re.search(r"^client_id (\S+)$", out, re.M)
    assert client_id is not None
    _, listed, _ = run("portal", "client", "list")
    assert client_id.group(1) in listed and "public" in listed

    code, out, _ = run("portal", "client", "remove", client_id.group(1))
    assert code == 0 and "removed" in out
    _, listed, _ = run("portal", "client", "list")
    assert client_id.group(1) not in listed
    code, _, err = run("portal", "client", "remove", client_id.group(1))
    assert code == 1 and "no such relying party" in err


@pytest.mark.parametrize(
    "uri",
    ["http://bank.example/cb", "https://bank.example/cb#frag", "ftp://bank.example/cb", "/cb"],
)
def test_an_unsafe_redirect_uri_is_refused(run, uri):
    code, out, err = run("portal", "client", "add", "x", "--redirect-uri", uri)
    assert code == 1 and "redirect" in err and "client_id" not in out


def test_redirect_uris_on_two_hosts_need_a_sector(run):
    args = ["--redirect-uri", "https://a.example/cb", "--redirect-uri", "https://b.example/cb"]
    code, _, err = run("portal", "client", "add", "two hosts", *args)
    assert code == 1 and "--sector" in err
    code, out, _ = run("portal", "client", "add", "two hosts", *args, "--sector", "example")
    assert code == 0 and "client_id" in out


def test_a_private_key_jwt_client_registers_its_public_key_and_gets_no_secret(run, tmp_path):
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048)
    public = tmp_path / "rp.jwk.json"
    public.write_text(json.dumps(key.as_dict(private=False)))
    code, out, _ = run(
        "portal",
        "client",
        "add",
        "ひかり証券",
        "--redirect-uri",
        "https://sec.example/cb",
        "--jwk",
        str(public),
    )
    assert code == 0, out
    assert "client_secret" not in out and "private_key_jwt" in out
    # a private key is refused and registers nothing
    private = tmp_path / "private.jwk.json"
    private.write_text(json.dumps(key.as_dict(private=True)))
    code, out, err = run(
        "portal",
        "client",
        "add",
        "x",
        "--redirect-uri",
        "https://x.example/cb",
        "--jwk",
        str(private),
    )
    assert code == 1 and "jwk" in err and "client_id" not in out
