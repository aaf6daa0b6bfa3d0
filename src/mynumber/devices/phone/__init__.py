"""The Mynaportal smartphone app: the resident's wallet of cards, signing login challenges
and documents for any site of the deployment (:mod:`.protocol`), served at ``/phone`` by
``mynumber run`` (:func:`create_app`) and used by ``mynumber phone …``.

Each name is loaded from its module on first use (PEP 562): a command that only opens a card
file does not import the phone's web app or the signing libraries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mynumber.lazy import names_of

if TYPE_CHECKING:
    from mynumber.devices.phone.app import create_app
    from mynumber.devices.phone.card import CardAnswer, sign_challenge, sign_document
    from mynumber.devices.phone.protocol import (
        PORTAL_LOGIN,
        PORTAL_SIGN,
        BadResource,
        LoginAsked,
        ResourceRefused,
        Resources,
        SignAsked,
        qr_url,
        resource_of,
    )
    from mynumber.devices.phone.wallet import Wallet, WalletCard, open_card

__all__ = [
    "PORTAL_LOGIN",
    "PORTAL_SIGN",
    "BadResource",
    "CardAnswer",
    "LoginAsked",
    "ResourceRefused",
    "Resources",
    "SignAsked",
    "Wallet",
    "WalletCard",
    "create_app",
    "open_card",
    "qr_url",
    "resource_of",
    "sign_challenge",
    "sign_document",
]

#: the module (under this package) of each name
_MODULE = {
    "create_app": "app",
    "CardAnswer": "card",
    "sign_challenge": "card",
    "sign_document": "card",
    "Wallet": "wallet",
    "WalletCard": "wallet",
    "open_card": "wallet",
}


__getattr__ = names_of(__name__, __all__, _MODULE, "protocol")
