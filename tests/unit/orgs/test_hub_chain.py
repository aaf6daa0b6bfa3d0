"""The exchange record's hash chain: appends verify, any change, removal or reorder breaks it."""

from __future__ import annotations

import pytest

from mynumber.orgs.hub import chain


def make_log(n: int) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    prev = chain.GENESIS
    for seq in range(1, n + 1):
        entry: dict[str, object] = {
            "seq": seq,
            "at": f"2025-01-01T00:00:{seq:02d}+00:00",
            "exchange_id": f"{seq:016x}",
            "person": "p1",
            "requester": "municipality-131016",
            "provider": "tax",
            "procedure": "child_allowance_claim",
            "items": "income",
            "outcome": "provided",
            "reason": "",
            "prev": prev,
        }
        entry["hash"] = chain.entry_hash(entry)
        prev = str(entry["hash"])
        entries.append(entry)
    return entries


def test_an_intact_log_gives_its_head():
    log = make_log(5)
    assert chain.verify(log) == chain.Head(5, str(log[-1]["hash"]))


def test_an_empty_log_has_the_genesis_head():
    assert chain.verify([]) == chain.Head(0, chain.GENESIS)


def test_verification_resumes_from_a_head():
    log = make_log(6)
    middle = chain.verify(log[:3])
    assert chain.verify(log[3:], start=middle) == chain.verify(log)


@pytest.mark.parametrize("field", ["outcome", "requester", "items", "at", "person"])
def test_a_changed_field_breaks_the_chain_at_that_entry(field):
    log = make_log(4)
    log[2] = dict(log[2]) | {field: "changed"}
    with pytest.raises(chain.BrokenChain) as caught:
        chain.verify(log)
    assert caught.value.seq == 3


def test_a_removed_entry_breaks_the_chain():
    log = make_log(4)
    del log[1]
    with pytest.raises(chain.BrokenChain) as caught:
        chain.verify(log)
    assert caught.value.seq == 3


def test_a_rehashed_forgery_does_not_match_the_published_head():
    log = make_log(3)
    published = chain.verify(log)
    forged = [dict(e) for e in log]
    forged[0]["outcome"] = "refused"
    prev = chain.GENESIS
    for entry in forged:  # the forger recomputes every hash…
        entry["prev"] = prev
        entry["hash"] = chain.entry_hash(entry)
        prev = str(entry["hash"])
    assert chain.verify(forged).hash != published.hash  # …and the head gives it away


def test_linking_in_bulk_gives_the_hashes_of_entry_hash() -> None:
    texts = ['"quoted" \\ back', "改行\nand\ttab", "\x00\x1f\u2028", "ﾔﾏﾀﾞ 山田", ""]
    entries = [
        (
            "2025-01-01T00:00:00.000001+00:00",
            f"{n // 3:016x}",  # entries of one exchange share all but the person
            texts[n % len(texts)] if n % 4 else f"{n:016x}",
            "benefits",
            texts[(n + 1) % len(texts)] + "%s %d %%",
            "benefit_payment",
            "public_fund_account",
            "provided",
            texts[(n + 2) % len(texts)],
        )
        for n in range(20)
    ]
    start = chain.Head(7, "ab" * 32)
    records, head = chain.link(entries, start)
    assert head.seq == 27
    rows = [dict(zip(chain.RECORD, record, strict=True)) for record in records]
    for row, entry in zip(rows, entries, strict=True):
        assert tuple(row[name] for name in chain.ENTRY) == entry
        assert row["hash"] == chain.entry_hash(row)
    assert chain.verify(rows, start=start) == head
