"""J-LIS's part in agency codes (番号法 Art. 21-2): My Number → 取得番号 → the hub.

An agency sends J-LIS the My Numbers it legitimately holds. J-LIS finds the resident code
each belongs to **without keeping any new table**: the numbering is a keyed permutation
(:mod:`mynumber.orgs.jlis.numbering`), so J-LIS runs it backwards at each generation and
keeps the candidate whose code it reserved at exactly that generation, with the number
issued and not retired (so a retired number enrols nobody). From the code's keyed hash it
derives the 取得番号, ``HMAC(J-LIS acquisition key, code_fp)`` — neither the number nor the
code, and stable across a number re-issue — and sends only that to the hub, which answers
with the agency's codes. J-LIS keeps neither the 取得番号 nor the codes.
"""

from __future__ import annotations

import hmac

import numpy as np
from sqlalchemy import select

from mynumber.number import validate
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.numbering import Numbering
from mynumber.platform.context import OrgContext
from mynumber.platform.db import among
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.uow import UnitOfWork

#: Generations tried when running the numbering backwards (a re-issue moves one up; a
#: collision with an earlier number moves one more).
MAX_GENERATION = 16


class Acquisition:
    """Turns My Numbers into 取得番号 from J-LIS's own tables and keys."""

    def __init__(self, *, numbering: Numbering, key: bytes) -> None:
        self.numbering = numbering
        self._key = key

    def acquisition_numbers(self, uow: UnitOfWork, numbers: list[str]) -> list[str | None]:
        checked = [validate(n) for n in numbers]
        result: list[str | None] = [None] * len(checked)
        if not checked:
            return result
        number_fps = self.numbering.fingerprints("number", checked)
        live = self._live(uow, number_fps)
        pending = [i for i, fp in enumerate(number_fps) if fp in live]
        bases = np.array([int(n[:11]) for n in checked], dtype=np.uint64)
        for generation in range(MAX_GENERATION):
            if not pending:
                break
            generations = np.full(len(pending), generation, dtype=np.uint32)
            codes = self.numbering.codes_of(bases[pending], generations)
            code_fps = self.numbering.fingerprints("code", [f"{c:011d}" for c in codes.tolist()])
            held = self._at_generation(uow, code_fps, generation)
            still, found, found_fps = [], [], []
            for i, code_fp in zip(pending, code_fps, strict=True):
                if code_fp in held:
                    found.append(i)
                    found_fps.append(code_fp)
                else:
                    still.append(i)
            for i, acquisition in zip(found, self.of_code_fps(found_fps), strict=True):
                result[i] = acquisition
            pending = still
        return result

    def of_code_fp(self, code_fp: str) -> str:
        """The 取得番号 of the person whose resident code has keyed hash ``code_fp``
        (what a card keeps as ``code_fp``, so a login serial leads here without a number)."""
        return hmac.digest(self._key, code_fp.encode(), "sha256")[:16].hex()

    def of_code_fps(self, code_fps: list[str]) -> list[str]:
        """:meth:`of_code_fp` of each (the same values, without a call per person)."""
        key, digest = self._key, hmac.digest
        return [digest(key, fp.encode(), "sha256")[:16].hex() for fp in code_fps]

    def _live(self, uow: UnitOfWork, number_fps: list[str]) -> set[str]:
        t = store.issued_numbers
        with uow as conn:
            wanted = among(conn, t.c.number_fp, list(set(number_fps)))
            return set(
                conn.execute(select(t.c.number_fp).where(wanted, t.c.retired_at.is_(None)))
                .scalars()
                .all()
            )

    def _at_generation(self, uow: UnitOfWork, code_fps: list[str], generation: int) -> set[str]:
        t = store.resident_codes
        with uow as conn:
            wanted = among(conn, t.c.code_fp, list(set(code_fps)))
            return set(
                conn.execute(select(t.c.code_fp).where(wanted, t.c.generation == generation))
                .scalars()
                .all()
            )


def acquisition_for(ctx: OrgContext, *, numbering: Numbering) -> Acquisition:
    """J-LIS's :class:`Acquisition` with its key from the data folder."""
    return Acquisition(
        numbering=numbering,
        key=secret_bytes(ctx.settings.data_dir / "jlis" / "acquisition.key"),
    )
