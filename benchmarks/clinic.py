"""Online eligibility answers per second, server side and through HTTP, against raw
RSA-2048 signature verification in the same run.

Prints JSON. One in-process federation on SQLite in a temporary folder, one thread:

    .venv/bin/python -m benchmarks.clinic [--answers 300]

A new resident gets a card, a 健保組合 enrols them (the copy reaches the eligibility
system through the hub) and the card is registered at the demo clinic's reader. Then:

- ``server_side``: ``EligibilitySystem.confirm`` called directly, PIN mode — per answer the
  system uses a challenge up, checks the card's signature over it and the certificate's
  chain, asks J-LIS for the card's status (the 本人確認判定 is asked once per copy and card
  and kept), reads the copy and writes the confirmation, and
  builds the answer XML. The card's signatures are made beforehand and not timed (the
  card, not the server, does that);
- ``server_side_visual``: the same in visual mode (no challenge, no card signature);
- ``through_http``: the reception terminal's route (clinic → oqs → J-LIS, each a signed
  in-process HTTP request), visual mode, as a clinic's terminal sends them;
- ``insurance_data``: answers by insurance-card data (記号・番号, no card) through the
  clinic's route;
- ``rsa2048_verifications_per_s``: raw PKCS#1 v1.5 SHA-256 verifications, same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import text

from benchmarks.machine import machine
from mynumber import federation
from mynumber.card import Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.devices.clinic import CardReader, Terminal
from mynumber.orgs.oqs.model import InsuranceQuery, query_xml
from mynumber.orgs.oqs.services import CardConfirmation
from mynumber.platform.settings import Settings
from mynumber.platform.uow import UnitOfWork
from mynumber.reader import JPKIClient

CLINIC = "1311234567"
PIN = "1234"  # demo value


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1)


def timed(count: int, step: Any) -> dict[str, float]:
    took = []
    began = time.perf_counter()
    for i in range(count):
        t = time.perf_counter()
        step(i)
        took.append(time.perf_counter() - t)
    total = time.perf_counter() - began
    took.sort()
    return {
        "answers": count,
        "per_s": rate(count, total),
        "p50_ms": round(took[len(took) // 2] * 1000, 2),
        "p99_ms": round(took[int(len(took) * 0.99) - 1] * 1000, 2),
    }


def rsa_verifications(seconds: float = 2.0) -> float:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = b"x" * 32
    signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    public = key.public_key()
    n, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        n += 1
    return rate(n, time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings().with_data_dir(Path(folder) / "data")
        fed = federation.build(settings, in_process=True)
        http = fed.admin_http
        try:
            resident = http.post(
                "/municipality/131016/api/residents",
                json={
                    "family_name": "計測",
                    "given_name": "花子",
                    "family_name_kana": "ケイソク",
                    "given_name_kana": "ハナコ",
                    "birth_date": "1980-04-01",
                    "sex": "2",
                    "address": "東京都千代田区丸の内1丁目1番1号",
                },
            ).json()
            issued = http.post(
                f"/municipality/131016/api/residents/{resident['id']}/card",
                json={"auth_pin": PIN, "sign_password": "ABC123"},
            ).json()
            seal = load_or_create_demo_seal_key(settings.data_dir / "card-seal.key")
            card = JPKIClient(
                ChipTransport(Chip.from_image(issued["card_image"].encode(), seal_key=seal))
            )
            with fed.municipality("131016").engine.connect() as conn:
                number = conn.execute(
                    text("SELECT my_number FROM residents WHERE id = :id"), {"id": resident["id"]}
                ).scalar_one()
            member = {
                "my_number": number,
                "symbol": "12",
                "number": "3456",
                "branch": "00",
                "valid_from": "2020-04-01",
                "name": "計測　花子",
                "name_kana": "ケイソク　ハナコ",
                "sex": "2",
                "birth_date": "1980-04-01",
            }
            http.post("/insurer/api/members", json={"members": [member]}).raise_for_status()
            terminal = Terminal(http, f"/clinic/{CLINIC}")
            reader = CardReader(card)
            assert terminal.register(reader, pin=PIN)
            system = fed.oqs().system
            uow = UnitOfWork(fed.oqs().engine)
            certificate = reader.certificate()
            # the card signs beforehand (its work, not the server's)
            pin_mode = []
            for _ in range(args.answers):
                challenge_id, nonce = system.challenge(uow, CLINIC)
                signature = reader.with_pin(nonce, PIN).signature
                pin_mode.append(
                    CardConfirmation(
                        mode="pin",
                        certificate=certificate,
                        challenge_id=challenge_id,
                        signature=signature,
                    )
                )
            visual = CardConfirmation(mode="visual", certificate=certificate)
            query = query_xml(
                InsuranceQuery(
                    institution=CLINIC,
                    file_id="B",
                    insurer_number="06139994",
                    symbol="12",
                    number="3456",
                    branch="00",
                    birth_date=dt.date(1980, 4, 1),
                )
            )
            results = {
                "server_side": timed(
                    args.answers, lambda i: system.confirm(uow, CLINIC, pin_mode[i])
                ),
                "server_side_visual": timed(
                    args.answers, lambda i: system.confirm(uow, CLINIC, visual)
                ),
                "through_http": timed(
                    args.answers, lambda i: terminal.confirm(reader, visual=True)
                ),
                "insurance_data": timed(args.answers, lambda i: terminal.insurance(query)),
                "rsa2048_verifications_per_s": rsa_verifications(),
            }
        finally:
            fed.close()
    print(json.dumps({"benchmark": "clinic", "machine": machine(), **results}, indent=2))


if __name__ == "__main__":
    main()
