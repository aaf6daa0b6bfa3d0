"""Who may call Mynaportal's routes. Resident pages check the portal session in each route
(they redirect to the login page when it is missing), so their routers declare it with a
marker; login and signing by a one-time code, and OpenID Connect's public endpoints, are
public by design; managing the OpenID relying parties needs the operator role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from mynumber.platform.policy import marker, public
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.web import staff

RESIDENT = marker("resident", "a Mynaportal session opened with the card, checked in the route")
LOGIN = public("resident login by a one-time code only the card holder's device learns")
SIGN_BY_CODE = public(
    "a signature request shown and answered by a one-time code only the holder's device learns"
)
DEVICE = marker("device", "the simulated smartphone: the PIN goes to the card, never to a server")
DISCOVERY = public("OpenID Connect discovery and the ID tokens' public keys")
OIDC_ENDPOINT = public(
    "OpenID Connect endpoint: the relying party proves itself (code + PKCE or secret, or the "
    "access token), the person logs in with the card"
)
HEALTH = public("liveness probe: counts only, no personal data")

#: 運用担当 (portal operator): registers and removes OpenID relying parties.
Operator = Annotated[Acting, Depends(staff("oidc.clients"))]
