"""The platform operator's rules: the service providers it serves, its staff roles, what a
revocation reason means to a provider, and how long an identity-check record is kept.

This project's choices (documented in the README): the service providers are **tenants of
the operator** (its pages at ``/trustplatform/providers/<id>``), not organisations of
their own — a provider that leaves all verification to a platform is deemed certified
(services-reference §5). A provider id the operator does not serve is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mynumber.errors import NotFound
from mynumber.platform.staff.model import Role, Roles

ORG = "trustplatform"
NAME = "トラストプラットフォーム株式会社 (認定プラットフォーム事業者, demo)"


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    name: str
    service: str
    ekyc: bool = False  # opens accounts: a 犯収法 identity check by JPKI signature


PROVIDERS = {
    p.id: p
    for p in (
        Provider("housing-loan", "みらい銀行 住宅ローン (demo)", "住宅ローン契約"),
        Provider("realestate", "さくら不動産 (demo)", "不動産売買契約"),
        Provider("securities", "あおば証券 (demo)", "証券口座開設 (eKYC)", ekyc=True),
    )
}


class ProviderNotServed(NotFound):
    """A provider this platform does not serve: nothing is verified for it."""

    code = "provider_not_served"


def provider(provider_id: str) -> Provider:
    found = PROVIDERS.get(provider_id)
    if found is None:
        raise ProviderNotServed("this service provider is not behind this platform operator")
    return found


ROLES = Roles.of(
    Role(
        "provider",
        "サービスプロバイダ担当 (a provider's clerk)",
        frozenset({"contracts.manage", "status.check", "ekyc.read"}),
    ),
)

#: What J-LIS's revocation reason (RFC 5280 name, as its OCSP says) tells a provider
#: (services-reference §5: a change of the 4 items, removal from the register, loss or
#: suspension). The mapping follows J-LIS's use in this federation (orgs/jlis/cards.py).
REASONS = {
    "affiliationChanged": "基本4情報の変更 (転居・氏名変更等) (the basic items changed)",
    "cessationOfOperation": "住民票の消除 (死亡等) (removed from the register, e.g. death)",
    "keyCompromise": "紛失・一時停止 (card lost or suspended)",
    "superseded": "新しい証明書に更新 (renewed)",
    "unspecified": "失効 (revoked)",
}

#: 犯収法 Art. 6(2): the 確認記録 is kept seven years from the day the transaction ends;
#: here from the day of the check (this project's choice: the end of the business
#: relationship is not modelled).
EKYC_KEEP = dt.timedelta(days=7 * 366)


#: the largest contract a provider's page accepts (bytes)
MAX_UPLOAD = 8 * 1024 * 1024

#: What a person consents to (and withdraws) by signing with the signing certificate.
CONSENT = "latest-basic-items"


def meaning(reason: str | None) -> str:
    return REASONS.get(reason or "unspecified", REASONS["unspecified"])
