"""Who may call Mynaportal's routes, and the dependencies that check it.

A resident's page takes its session from :meth:`~.pages.Pages.page_session` (no session:
:class:`LoginNeeded`, answered with a redirect to the login page), a form post from
:meth:`~.pages.Pages.form_session` (the session and the form's CSRF token, else 401/403);
their routers also carry the ``RESIDENT`` marker. Login and signing by a one-time code, and
OpenID Connect's public endpoints, are public by design; managing the OpenID relying
parties needs the operator role (a staff session, :data:`Operator`)."""

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
DISCOVERY = public("OpenID Connect discovery and the ID tokens' public keys")
OIDC_ENDPOINT = public(
    "OpenID Connect endpoint: the relying party proves itself (code + PKCE or secret, or the "
    "access token), the person logs in with the card"
)
SIGN_CLIENT = marker(
    "signed",
    "a sign transaction's relying party: its access token (RFC 6750, scope sign, from a "
    "private_key_jwt client) is checked in the route",
)
SIGN_DEVICE = marker(
    "device",
    "a sign transaction's id, which only the relying party and the person's device learn; "
    "only a good signature by the card changes it",
)
HEALTH = public("liveness probe: counts only, no personal data")


class LoginNeeded(Exception):
    """A page asked for without a live session: the app answers with the login page,
    saying why (``expired`` when a session cookie came but is no longer valid)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


#: 運用担当 (portal operator): registers and removes OpenID relying parties.
Operator = Annotated[Acting, Depends(staff("oidc.clients"))]
