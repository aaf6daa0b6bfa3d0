"""The hub's calls out: a forwarded exchange to a provider's intermediate server, a
forwarded delivery to a recipient's receiver.

One :class:`Forwarder` over :class:`~mynumber.platform.http.ServiceClient`: every call is
signed by the hub, has its own deadline (a slow provider is an unavailable one), maps the
other side's problem+json to our errors, and checks the answer against the wire contract
(:mod:`mynumber.platform.wire`). The use cases get the answer back as JSON, the shape they
relay.
"""

from __future__ import annotations

from typing import Any

from mynumber import errors
from mynumber.platform import wire
from mynumber.platform.http import Directory, ServiceClient
from mynumber.platform.signing import Identity

#: What a recipient's 4xx answer is: it refuses the delivery (it will not take it again).
_REFUSALS = (
    errors.InvalidInput,
    errors.NotFound,
    errors.Conflict,
    errors.Unauthorized,
    errors.Forbidden,
)


class Forwarder:
    """The hub's client of every provider and recipient, one :class:`ServiceClient` each."""

    def __init__(self, directory: Directory, identity: Identity) -> None:
        self.directory = directory
        self.identity = identity
        self._clients: dict[str, ServiceClient] = {}

    def _client(self, org: str) -> ServiceClient:
        client = self._clients.get(org)
        if client is None:
            client = self._clients[org] = ServiceClient(self.directory, org, self.identity)
        return client

    def provide(self, provider: str, body: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        """``POST /intermediate/provide``: the provider's sealed answer; NotFound
        (``not_held``) if nobody there has the code, Unavailable or another error otherwise."""
        request = wire.ProvideIn.model_validate(body)
        try:
            answer = self._client(provider).call(
                "POST", "/intermediate/provide", request, answer=wire.ProvideOut, timeout=timeout
            )
        except errors.NotFound as exc:
            raise errors.NotFound(
                f"{provider} holds no record of this person", code="not_held"
            ) from exc
        return answer.model_dump()

    def provide_bulk(
        self, provider: str, body: dict[str, Any], *, timeout: float
    ) -> dict[str, Any]:
        """``POST /intermediate/provide-bulk``: the provider's sealed results."""
        request = wire.ProvideBulkIn.model_validate(body)
        answer = self._client(provider).call(
            "POST", "/intermediate/provide-bulk", request, answer=wire.ProvideOut, timeout=timeout
        )
        return answer.model_dump()

    def deliver(self, recipient: str, body: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        """``POST /api/deliveries``: the recipient's ``accepted`` and sealed reply. A 4xx
        answer is the recipient refusing the delivery (InvalidInput ``delivery_refused``);
        anything else that fails is Unavailable."""
        delivery = wire.DeliveryIn.model_validate(body)
        try:
            answer = self._client(recipient).call(
                "POST", "/api/deliveries", delivery, answer=wire.DeliveryOut, timeout=timeout
            )
        except _REFUSALS as exc:
            detail = exc.message.removeprefix(f"{recipient}: ")
            raise errors.InvalidInput(
                f"{exc.code}: {detail}"[:300], code="delivery_refused"
            ) from exc
        return answer.model_dump()
