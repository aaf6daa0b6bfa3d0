"""Contract validation at the platform operator, against raw RSA-2048 verification.

Prints JSON. One in-process federation on SQLite in a temporary folder, one thread:

    .venv/bin/python -m benchmarks.contracts [--seconds 5]

- ``validations_per_s``: the platform validates a two-signer contract completed for the
  long term (PAdES, the chain, J-LIS's embedded OCSP answers, the signature and document
  time-stamps, pyHanko's difference analysis) from the file alone (``pades.validate``);
  ``signatures_validated_per_s`` counts each signature;
- ``verify_with_status_per_s``: ``POST /trustplatform/api/verify`` end to end, which also
  asks J-LIS (OCSP with a nonce, over the in-process HTTP hop) for each signer's status;
- ``rsa2048_verifications_per_s``: raw PKCS#1 v1.5 SHA-256 verifications, same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", _HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


machine = _load("machine").machine

import httpx  # noqa: E402 - after the path fix
from reportlab.pdfgen import canvas  # noqa: E402 - after the path fix

from mynumber import federation  # noqa: E402 - after the path fix
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key  # noqa: E402
from mynumber.cli.contract import sign_contract  # noqa: E402 - after the path fix
from mynumber.orgs.trustplatform import pades  # noqa: E402 - after the path fix
from mynumber.platform.http import InProcessTransport  # noqa: E402 - after the path fix
from mynumber.platform.settings import Settings  # noqa: E402 - after the path fix
from mynumber.reader import JPKIClient  # noqa: E402 - after the path fix

PASSWORD = "ABC123"  # demo value


def rate(work: Any, seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        work()
        count += 1
    return count / (time.perf_counter() - start)


def card(fed: federation.Federation, n: int) -> JPKIClient:
    http = fed.admin_http
    person = http.post(
        "/municipality/131016/api/residents",
        json={
            "family_name": "計測",
            "given_name": f"太郎{n}",
            "family_name_kana": "ケイソク",
            "given_name_kana": "タロウ",
            "birth_date": "1980-01-02",
            "sex": "1",
            "address": f"東京都千代田区千代田1番{n}号",
        },
    ).json()
    issued = http.post(
        f"/municipality/131016/api/residents/{person['id']}/card",
        json={"auth_pin": "1234", "sign_password": PASSWORD},
    ).json()
    seal = load_or_create_demo_seal_key(fed.settings.data_dir / "card-seal.key")
    return JPKIClient(ChipTransport(Chip.from_image(issued["card_image"].encode(), seal_key=seal)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), seed_residents=0)
        fed = federation.build(settings, in_process=True)
        try:
            web = httpx.Client(
                transport=InProcessTransport(fed.root), base_url=federation.INTERNAL_BASE
            )
            out = io.BytesIO()
            page = canvas.Canvas(out)
            page.drawString(72, 770, "Benchmark contract (demo)")
            page.save()
            _, first = sign_contract(
                web, card(fed, 1), out.getvalue(), password=PASSWORD, field="A"
            )
            _, pdf = sign_contract(web, card(fed, 2), first, password=PASSWORD, field="B")
            roots = fed.trustplatform().platform.roots()
            assert pades.validate(pdf, roots=roots).ok
            validations = rate(lambda: pades.validate(pdf, roots=roots), args.seconds)

            def verify() -> None:
                answer = web.post("/trustplatform/api/verify", content=pdf)
                assert answer.status_code == 200 and answer.json()["ok"]

            with_status = rate(verify, args.seconds)
        finally:
            fed.close()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = b"x" * 100
    signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    public = key.public_key()
    raw = rate(
        lambda: public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256()), args.seconds
    )
    print(
        json.dumps(
            {
                "machine": machine(),
                "signatures_per_contract": 2,
                "validations_per_s": round(validations, 2),
                "signatures_validated_per_s": round(2 * validations, 2),
                "verify_with_status_per_s": round(with_status, 2),
                "rsa2048_verifications_per_s": round(raw, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
