"""What J-LIS's routes ask of their caller: the staff permission each needs, or a
municipality's signed request where a municipality may do the same (suspension, revocation).

J-LIS's 24/7 desk (一時停止の受付) is its operator, signed in with their own card: a
resident who lost a card calls the desk, and the operator suspends it. There is no public
suspension route for residents over the network in this project (this project's choice:
the real line is a telephone call centre).
"""

# no `from __future__ import annotations`: FastAPI resolves the aliases at import
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from mynumber.platform.callers import SIGNED_BY
from mynumber.platform.policy import marker
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.web import staff
from mynumber.platform.web import signed_by


def is_municipality(org: str) -> bool:
    return org.startswith("municipality-")


def municipality_or_operator(permission: str) -> Callable[..., Any]:
    """A dependency: a municipality's signed request (its ``org``), or else J-LIS's own staff
    acting under a role that grants ``permission`` (an :class:`Acting`). A request signed
    by any other organisation is refused (403); one with neither is refused (401)."""
    signed = signed_by(is_municipality, who="a municipality")
    operator = staff(permission)

    async def dependency(
        request: Request,
        _signed: None = marker("signed", "a municipality"),
        _staff: None = marker("staff", permission),
    ) -> str | Acting:
        if isinstance(request.scope.get(SIGNED_BY), str):
            return signed(request)
        acting: Acting = await operator(request)
        return acting

    return dependency


#: 一時停止: a municipality (the card's holder at its counter) or J-LIS's 24/7 desk.
Suspender = Annotated[str | Acting, Depends(municipality_or_operator("cards.suspend"))]
#: 失効: a municipality (a basic item changed) or J-LIS's operator.
Revoker = Annotated[str | Acting, Depends(municipality_or_operator("cards.revoke"))]
#: 廃止: a municipality (the card returned, or its holder dead) or J-LIS's operator.
Canceller = Annotated[str | Acting, Depends(municipality_or_operator("cards.revoke"))]
#: The 24/7 call centre's operator: identifies a caller and suspends their card.
CallCentreOperator = Annotated[Acting, Depends(staff("callcentre.suspend"))]
#: Registering and withdrawing verifiers (署名検証者 / 利用者証明検証者) by hand.
VerifierManager = Annotated[Acting, Depends(staff("verifiers.manage"))]
