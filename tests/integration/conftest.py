"""Helpers for tests that drive a federation's registries and J-LIS through their APIs."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from mynumber.platform import federation

KATAKANA = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
)
FAMILY = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
GIVEN = ("花子", "太郎", "陽菜", "蓮", "結衣", "大翔", "葵", "湊", "凛", "悠真")
ADDRESS = {"131016": "東京都千代田区丸の内", "131041": "東京都新宿区西新宿"}

Person = Callable[..., dict[str, Any]]
NumberOf = Callable[[str, str], str | None]


def _kana(length: int = 4) -> str:
    return "".join(secrets.choice(KATAKANA) for _ in range(length))


def new_person(municipality: str = "131016", **overrides: Any) -> dict[str, Any]:
    """A registration body for a person nobody registered yet (the address is unique)."""
    body: dict[str, Any] = {
        "family_name": secrets.choice(FAMILY),
        "given_name": secrets.choice(GIVEN),
        "family_name_kana": _kana(),
        "given_name_kana": _kana(),
        "birth_date": date(
            1950 + secrets.randbelow(70), 1 + secrets.randbelow(12), 1 + secrets.randbelow(28)
        ).isoformat(),
        "sex": secrets.choice("12"),
        "address": f"{ADDRESS[municipality]}{1 + secrets.randbelow(9)}丁目"
        f"{secrets.randbelow(10**6)}番{secrets.randbelow(10**6)}号",
    }
    body.update(overrides)
    return body


@pytest.fixture
def person() -> Person:
    return new_person


@pytest.fixture
def number_of(fed: federation.Federation) -> NumberOf:
    """The My Number a municipality holds for a resident record, read from its database
    (the API only ever shows it masked)."""

    def read(municipality: str, resident_id: str) -> str | None:
        with fed.registry(municipality).engine.connect() as conn:
            value = conn.execute(
                text("SELECT my_number FROM residents WHERE id = :id"), {"id": resident_id}
            ).scalar_one()
        return None if value is None else str(value)

    return read
