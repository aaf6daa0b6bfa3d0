"""One-click benefit applications on Mynaportal (``/benefits/<programme>``).

A benefit office's notice links here when it found no registered public-fund account (or
could not pay into it). The page shows the programme (from the office's public API) and
lets the person, with one click, either use their registered 公金受取口座 — linking to the
registration page if there is none — or name an account for this payment only, checked as
the registry checks accounts (bank and branch in the Zengin list, 普通/当座/貯蓄, up to 7
digits, the holder's name in kana). The application goes to the office as a hub delivery
(procedure ``benefit_application``, item ``application``) under the portal's own hub code
for the person, sealed to the office: neither the hub nor anyone on the way reads it, and
no My Number is involved.
"""

from __future__ import annotations

from typing import Any

from mynumber import errors
from mynumber.orgs.portal.clients.offices import BenefitOfficeClient
from mynumber.orgs.portal.services.public_fund import PublicFundAccounts
from mynumber.orgs.portal.services.self_information import HubLink
from mynumber.payments import DepositType, account_number, branch, to_zengin_kana
from mynumber.platform.uow import UnitOfWork

PROCEDURE = "benefit_application"
OFFICE = "benefits"
CHOICES = ("registered", "account")


def checked_account(form: dict[str, str]) -> dict[str, str]:
    """An account for this payment only, checked as the registry checks registrations;
    :class:`errors.InvalidInput` naming the field at fault."""
    branch(form["bank_code"], form["branch_code"])
    if form["deposit_type"] not in (
        DepositType.ORDINARY.value,
        DepositType.CURRENT.value,
        DepositType.SAVINGS.value,
    ):
        raise errors.InvalidInput(
            "deposit_type must be 1 (普通), 2 (当座) or 4 (貯蓄)", field="deposit_type"
        )
    name = to_zengin_kana(form["holder_kana"], field="holder_kana").strip()
    if not name or len(name) > 30:
        raise errors.InvalidInput("holder_kana must be 1 to 30 kana", field="holder_kana")
    return {
        "bank_code": form["bank_code"],
        "branch_code": form["branch_code"],
        "deposit_type": form["deposit_type"],
        "account_number": account_number(form["account_number"]),
        "holder_kana": name,
    }


class BenefitClaims:
    """Programmes as the office shows them, and applications sent to it through the hub."""

    def __init__(
        self, *, link: HubLink, office: BenefitOfficeClient, accounts: PublicFundAccounts
    ) -> None:
        self.link = link
        self.office = office
        self.accounts = accounts

    def programme(self, programme_id: str) -> dict[str, Any]:
        if not programme_id.isalnum() or len(programme_id) > 32:
            raise errors.NotFound("no such programme", code="no_programme")
        return self.office.programme(programme_id)

    def apply(
        self,
        uow: UnitOfWork,
        portal_code: str,
        programme_id: str,
        choice: str,
        account: dict[str, str] | None,
    ) -> bool:
        """Send the application; whether the office accepted it (it keeps applications of
        the people it found eligible)."""
        if choice not in CHOICES:
            raise errors.InvalidInput("choose registered or account", field="choice")
        message = {
            "programme": programme_id,
            "choice": choice,
            "account": checked_account(account or {}) if choice == "account" else None,
        }
        result = self.link.hub.deliver(
            procedure=PROCEDURE,
            recipient=OFFICE,
            items=["application"],
            codes=[self.link.hub_code(uow, portal_code)],
            messages=[message],
        )
        return result.accepted[0]
