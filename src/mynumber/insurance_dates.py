"""The end of the paper health-insurance card, as dates (services-reference §1, "End of
paper cards"): plain rules shared by the insurers (the 資格確認書 they issue) and the
オンライン資格確認等システム (what it answers).

- No new paper 被保険者証 from **2024-12-02**; one issued before stays valid to its own
  expiry, at most to **2025-12-01** [S]; 国保 and 後期高齢者医療 cards ended **2025-07-31** [O]
  (most of them expired that day: this project takes it as their last day).
- An expired paper card was still accepted to **2026-03-31** (暫定的な取扱い) [S]: this
  project answers such a card as valid to that day, with the reason in the answer.
- A **資格確認書** is valid up to **5 years** (to the loss of eligibility if sooner) [O/S];
  every 後期高齢者 gets one until **2026-07-31** (暫定措置: also those with a registered
  マイナ保険証), valid to that day at most [O/S].
- With a **lapsed auth certificate** the card still works as insurance card to the end of
  the third month after the month it lapsed [O].

What a 後期高齢者医療 insurer is: 法別番号 39 (an 8-digit 保険者番号 beginning ``39``); 国保:
a 6-digit one.
"""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum

from mynumber.jst import JST

__all__ = [
    "CERTIFICATE_YEARS",
    "EXPIRED_CARD_GRACE_UNTIL",
    "JST",
    "KOKUHO_KOUKI_CARDS_END",
    "KOUKI_CERTIFICATE_FOR_ALL_UNTIL",
    "LAPSED_CERTIFICATE_MONTHS",
    "NO_NEW_PAPER_CARDS_FROM",
    "PAPER_CARDS_END",
    "InsurerKind",
    "PaperCard",
    "certificate_for_everyone",
    "certificate_last_day",
    "insurer_kind",
    "lapsed_certificate_usable_until",
    "paper_card_last_day",
    "paper_card_state",
]

# Every date here is a day in Japan (mynumber.jst).

#: 被保険者証の新規発行終了 (the day from which no paper card is issued).
NO_NEW_PAPER_CARDS_FROM = dt.date(2024, 12, 2)
#: The last day any paper card issued before that may be used (経過措置, at most).
PAPER_CARDS_END = dt.date(2025, 12, 1)
#: The last day of the 国保 / 後期高齢者医療 paper cards.
KOKUHO_KOUKI_CARDS_END = dt.date(2025, 7, 31)
#: Expired paper cards were still accepted to this day (暫定的な取扱い).
EXPIRED_CARD_GRACE_UNTIL = dt.date(2026, 3, 31)
#: Longest validity of a 資格確認書.
CERTIFICATE_YEARS = 5
#: Until this day every 後期高齢者 gets a 資格確認書 (暫定措置), valid to this day at most.
KOUKI_CERTIFICATE_FOR_ALL_UNTIL = dt.date(2026, 7, 31)
#: A lapsed auth certificate: the card still serves as insurance card this many months
#: after the end of the month it lapsed in.
LAPSED_CERTIFICATE_MONTHS = 3


class InsurerKind(StrEnum):
    KOKUHO = "kokuho"  # 国民健康保険 (6-digit 保険者番号)
    KOUKI = "kouki"  # 後期高齢者医療 (法別 39)
    EMPLOYEE = "employee"  # 被用者保険: 健保組合, 協会けんぽ, 共済 …


def insurer_kind(insurer_number: str) -> InsurerKind:
    """The kind of insurer a 保険者番号 names (6 digits 国保; 法別 39 後期高齢者医療)."""
    number = insurer_number.strip()
    if len(number) == 6:
        return InsurerKind.KOKUHO
    if number.startswith("39"):
        return InsurerKind.KOUKI
    return InsurerKind.EMPLOYEE


class PaperCard(StrEnum):
    """What a paper 被保険者証 is worth on a day."""

    VALID = "valid"  # within its expiry and the end of paper cards
    GRACE = "grace"  # past its last day, still accepted to 2026-03-31
    ENDED = "ended"  # past its last day and past the grace
    NEVER = "never"  # dated on or after 2024-12-02: no paper card was issued then


def paper_card_last_day(
    kind: InsurerKind, issued_on: dt.date, expires_on: dt.date | None
) -> dt.date | None:
    """The last day a paper card may be used (None: it cannot be a real one)."""
    if issued_on >= NO_NEW_PAPER_CARDS_FROM:
        return None
    end = PAPER_CARDS_END if kind is InsurerKind.EMPLOYEE else KOKUHO_KOUKI_CARDS_END
    return end if expires_on is None else min(expires_on, end)


def paper_card_state(
    kind: InsurerKind, issued_on: dt.date, expires_on: dt.date | None, today: dt.date
) -> PaperCard:
    last = paper_card_last_day(kind, issued_on, expires_on)
    if last is None:
        return PaperCard.NEVER
    if today <= last:
        return PaperCard.VALID
    if today <= EXPIRED_CARD_GRACE_UNTIL:
        return PaperCard.GRACE
    return PaperCard.ENDED


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def certificate_for_everyone(kind: InsurerKind, today: dt.date) -> bool:
    """Whether the insurer issues a 資格確認書 even to a member with a registered card."""
    return kind is InsurerKind.KOUKI and today <= KOUKI_CERTIFICATE_FOR_ALL_UNTIL


def certificate_last_day(
    kind: InsurerKind, issued: dt.date, lost: dt.date | None = None, *, card_registered: bool
) -> dt.date:
    """The 資格確認書's last day: 5 years from issue (the day before the 5th anniversary),
    the loss of eligibility if sooner; one given to a 後期高齢者 with a registered card under
    the 暫定措置 ends on 2026-07-31 at the latest."""
    last = _years_later(issued, CERTIFICATE_YEARS) - dt.timedelta(days=1)
    if lost is not None:
        last = min(last, lost)
    if card_registered and certificate_for_everyone(kind, issued):
        last = min(last, KOUKI_CERTIFICATE_FOR_ALL_UNTIL)
    return last


def lapsed_certificate_usable_until(lapsed_on: dt.date) -> dt.date:
    """The last day a card whose auth certificate lapsed on ``lapsed_on`` still serves as
    insurance card: the end of the third month after the month it lapsed in."""
    month = lapsed_on.month - 1 + LAPSED_CERTIFICATE_MONTHS
    year, month = lapsed_on.year + month // 12, month % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])
