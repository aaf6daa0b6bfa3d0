"""Tamper response: key-read probes or a simulated attack kill the chip for good."""

from __future__ import annotations

import json

import mynumber_test_cardkit as kit
from mynumber_test_cardkit import read_binary, run, select_ap, select_ef, tx

from mynumber.card import AID_JPKI, EF, SW, TAMPER_PROBE_LIMIT, Chip, Lifecycle, MemoryStore


def test_third_attempt_to_read_a_key_erases_the_keys_and_kills_the_chip() -> None:
    store = MemoryStore()
    card = kit.make_card(store=store)
    run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_AUTH_KEY))
    answers = [tx(card.chip, read_binary(0, 0))[1] for _ in range(TAMPER_PROBE_LIMIT)]
    assert answers == [SW.SECURITY_STATUS_NOT_SATISFIED] * (TAMPER_PROBE_LIMIT - 1) + [
        SW.NO_PRECISE_DIAGNOSIS
    ]
    assert card.chip.is_dead
    assert tx(card.chip, select_ap(AID_JPKI)) == (b"", SW.NO_PRECISE_DIAGNOSIS)
    reloaded = Chip.from_image(store.last, seal_key=kit.SEAL_KEY)
    assert reloaded.is_dead and tx(reloaded, select_ap(AID_JPKI))[1] == SW.NO_PRECISE_DIAGNOSIS


def test_probes_are_counted_across_reloads() -> None:
    store = MemoryStore()
    card = kit.make_card(store=store)
    for _ in range(TAMPER_PROBE_LIMIT - 1):
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_KEY), read_binary(0, 0))
        card = kit.DemoCard(
            Chip.from_image(store.last, seal_key=kit.SEAL_KEY, store=store),
            card.transport,
            card.issuer_key,
            store,
        )
    assert json.loads(store.last)["tamper_probes"] == TAMPER_PROBE_LIMIT - 1
    assert (
        run(card.chip, select_ap(AID_JPKI), select_ef(EF.JPKI_SIGN_KEY), read_binary(0, 0))[1]
        == SW.NO_PRECISE_DIAGNOSIS
    )


def test_tamper_erases_keys_from_the_image(monkeypatch) -> None:
    store = MemoryStore()
    card = kit.make_card(store=store)
    card.chip.tamper()
    assert card.chip.lifecycle == Lifecycle.DEAD
    from mynumber.card import image

    doc = json.loads(store.last)
    content = json.loads(image._unseal(kit.SEAL_KEY, card.manufacture_number, doc["sealed"]))
    assert content["keys"] == {} and content["issuer_key"] is None
