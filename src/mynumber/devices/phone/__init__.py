"""The Mynaportal smartphone app: the resident's wallet of cards, signing login challenges
and documents for any site of the deployment (:mod:`.protocol`), served at ``/phone`` by
``mynumber run`` (:func:`create_app`) and used by ``mynumber phone …``."""

from __future__ import annotations

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
