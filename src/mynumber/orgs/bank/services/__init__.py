"""A bank's use cases: its accounts, 入金 as receiving bank, 総合振込 as paying bank."""

from mynumber.orgs.bank.services.accounts import Bank
from mynumber.orgs.bank.services.credits import Credits
from mynumber.orgs.bank.services.transfers import Transfers

__all__ = ["Bank", "Credits", "Transfers"]
