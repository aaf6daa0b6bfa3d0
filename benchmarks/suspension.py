"""How long from a call-centre suspension to J-LIS's OCSP saying ``revoked``.

Prints JSON. One in-process federation on SQLite in a temporary folder:

    .venv/bin/python benchmarks/suspension.py [--cards 5]

For each of ``--cards`` fresh cards: the certificate's status is asked once (``good``, the
answer cached by J-LIS's RFC 5019 responder), then the clock starts, the call centre's
operator suspends the card (``POST /jlis/callcentre/suspensions``: identification by the
card number and the name, both certificates held) and the status is asked again; the clock
stops when the answer is parsed as revoked. ``suspend_to_revoked_ms`` is that span;
``ocsp_good_ms`` (the baseline, same run) is one OCSP round for a good certificate.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", _HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


machine = _load("machine").machine

import statistics  # noqa: E402 - after the path fix (benchmarks/numbers.py)

from cryptography import x509  # noqa: E402
from cryptography.x509 import ocsp  # noqa: E402

from mynumber import federation  # noqa: E402
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key  # noqa: E402
from mynumber.pki import build_ocsp_request  # noqa: E402
from mynumber.platform.settings import Settings  # noqa: E402
from mynumber.reader import JPKIClient, KeyKind  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), seed_residents=0, login_rate_per_minute=0)
        fed = federation.build(settings, in_process=True)
        http = fed.admin_http
        try:
            credential = http.post("/jlis/verifiers", json={"name": "bench"}).json()["credential"]
            ca = x509.load_der_x509_certificate(http.get("/jlis/ca/auth.der").content)
            seal = load_or_create_demo_seal_key(settings.data_dir / "card-seal.key")
            headers = {
                "Authorization": f"Bearer {credential}",
                "Content-Type": "application/ocsp-request",
            }

            def status(request: bytes) -> str:
                answer = http.post("/jlis/ocsp/auth", content=request, headers=headers)
                parsed = ocsp.load_der_ocsp_response(answer.content)
                return str(parsed.certificate_status.name).lower()

            good_ms: list[float] = []
            spans_ms: list[float] = []
            for i in range(args.cards):
                resident = http.post(
                    "/municipality/131016/api/residents",
                    json={
                        "family_name": "計測",
                        "given_name": f"太郎{i}",
                        "family_name_kana": "ケイソク",
                        "given_name_kana": "タロウ",
                        "birth_date": "1980-01-02",
                        "sex": "1",
                        "address": f"東京都千代田区1-{i}",
                    },
                ).json()
                issued = http.post(
                    f"/municipality/131016/api/residents/{resident['id']}/card",
                    json={"auth_pin": "1234", "sign_password": "ABC123"},
                ).json()
                chip = Chip.from_image(issued["card_image"].encode(), seal_key=seal)
                cert = x509.load_der_x509_certificate(
                    JPKIClient(ChipTransport(chip)).read_certificate(KeyKind.AUTH)
                )
                request = build_ocsp_request(cert, ca)
                status(request)  # warm J-LIS's answer cache for this certificate
                started = time.perf_counter()
                assert status(request) == "good"
                good_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                http.post(
                    "/jlis/callcentre/suspensions",
                    json={"card_number": chip.manufacture_number, "name": f"計測 太郎{i}"},
                ).raise_for_status()
                revoked = status(request)
                spans_ms.append((time.perf_counter() - started) * 1000)
                assert revoked == "revoked", revoked
        finally:
            fed.close()
    print(
        json.dumps(
            {
                "machine": machine(),
                "cards": args.cards,
                "suspend_to_revoked_ms": {
                    "median": round(statistics.median(spans_ms), 1),
                    "max": round(max(spans_ms), 1),
                },
                "ocsp_good_ms": {
                    "median": round(statistics.median(good_ms), 1),
                    "max": round(max(good_ms), 1),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
