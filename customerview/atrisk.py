"""Silent detractors: which behaviour signals flag a customer as at risk, and why. Pure: no database.

Most unhappy customers never answer a survey or complain; they just stop buying. The rules
(an `AtRiskPolicy`) look at what the CRM knows about one customer and return the reasons
it is at risk, each a stable code (to filter on) and a sentence for staff.

Datetimes are in local time: a signal "N days ago" counts calendar days back from `today`,
so something that happened yesterday evening is one day old this morning. A window of
0 days, or a factor of 0, switches its rule off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from surveys import scoring
from surveys.choices import Segment

INACTIVE = "inactive"
CART_ABANDONED = "cart_abandoned"
UNSUBSCRIBED = "unsubscribed"
DETRACTOR = "detractor"

REASONS = [
    (INACTIVE, gettext_lazy("No purchase for longer than usual")),
    (CART_ABANDONED, gettext_lazy("Cart abandoned without a purchase")),
    (UNSUBSCRIBED, gettext_lazy("Unsubscribed from the newsletter")),
    (DETRACTOR, gettext_lazy("Recent detractor answer")),
]

# A customer who bought several times on the same day has no meaningful rhythm: count a day.
MIN_INTERVAL_DAYS = 1.0


@dataclass(frozen=True)
class Signals:
    """What the CRM knows about one customer's behaviour (datetimes in local time)."""

    purchase_count: int = 0
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    last_cart_abandoned_at: datetime | None = None
    last_unsubscribed_at: datetime | None = None
    last_detractor_at: datetime | None = None
    last_detractor_score: int | None = None

    @property
    def mean_interval_days(self) -> float | None:
        """The mean number of days between two purchases; None under two purchases."""
        if self.purchase_count < 2 or self.first_purchase_at is None or self.last_purchase_at is None:
            return None
        first, last = self.first_purchase_at, self.last_purchase_at
        if first.tzinfo is not None and last.tzinfo is not None:
            # Elapsed time, not wall-clock time: Python subtracts two datetimes of one zone by
            # their wall clocks, and a gap across a change of clocks would gain or lose an hour.
            first, last = first.astimezone(UTC), last.astimezone(UTC)
        span = (last - first).total_seconds() / 86400
        return span / (self.purchase_count - 1)


@dataclass(frozen=True)
class Reason:
    """Why a customer is at risk: a code to filter on, the figures, and (on demand) a sentence."""

    code: str
    days: int  # days without a purchase (inactive), else how many days ago it happened
    usual_days: int = 0  # inactive: the usual interval between purchases
    factor: str = ""  # inactive: k, as the admin set it
    score: int | None = None  # detractor: the score given

    @property
    def text(self) -> str:
        # Built when shown, not when flagged: a list flags thousands and shows fifty.
        if self.code == INACTIVE:
            return _("No purchase for %(idle)s, more than %(factor)s × their usual %(usual)s between purchases.") % {
                "idle": _days(self.days),
                "factor": self.factor,
                "usual": _days(self.usual_days),
            }
        if self.code == CART_ABANDONED:
            return _("Abandoned a cart %(when)s and has not bought since.") % {"when": _when(self.days)}
        if self.code == UNSUBSCRIBED:
            return _("Unsubscribed from the newsletter %(when)s.") % {"when": _when(self.days)}
        return _("Answered %(score)d out of 10 (a detractor) %(when)s.") % {
            "score": self.score,
            "when": _when(self.days),
        }


def _days_ago(moment: datetime, today: date) -> int:
    return (today - moment.date()).days


def _within(moment: datetime | None, days: int, today: date) -> bool:
    return moment is not None and days > 0 and _days_ago(moment, today) <= days


def _days(n: int) -> str:
    return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}


def _when(days_ago: int) -> str:
    if days_ago <= 0:
        return _("today")
    return ngettext("%(n)d day ago", "%(n)d days ago", days_ago) % {"n": days_ago}


def _factor(value) -> str:
    return f"{Decimal(str(value)).normalize():f}"


def inactive_reason(signals: Signals, policy, today: date) -> Reason | None:
    """No purchase for longer than k × the customer's usual interval between purchases."""
    factor = float(policy.inactivity_factor or 0)
    needed = max(2, policy.min_purchases_for_interval)
    usual = signals.mean_interval_days
    if factor <= 0 or signals.purchase_count < needed or usual is None:
        return None
    usual = max(usual, MIN_INTERVAL_DAYS)
    idle = _days_ago(signals.last_purchase_at, today)
    if idle <= factor * usual:
        return None
    return Reason(INACTIVE, idle, usual_days=round(usual), factor=_factor(policy.inactivity_factor))


def cart_reason(signals: Signals, policy, today: date) -> Reason | None:
    """A cart abandoned recently, with no purchase after it."""
    cart = signals.last_cart_abandoned_at
    if not _within(cart, policy.cart_abandoned_days, today):
        return None
    if signals.last_purchase_at is not None and signals.last_purchase_at >= cart:
        return None
    return Reason(CART_ABANDONED, _days_ago(cart, today))


def unsubscribed_reason(signals: Signals, policy, today: date) -> Reason | None:
    moment = signals.last_unsubscribed_at
    if not _within(moment, policy.unsubscribed_days, today):
        return None
    return Reason(UNSUBSCRIBED, _days_ago(moment, today))


def detractor_reason(signals: Signals, policy, today: date) -> Reason | None:
    moment, score = signals.last_detractor_at, signals.last_detractor_score
    if score is None or scoring.segment_for(score) != Segment.DETRACTOR:
        return None
    if not _within(moment, policy.detractor_days, today):
        return None
    return Reason(DETRACTOR, _days_ago(moment, today), score=score)


RULES = (inactive_reason, cart_reason, unsubscribed_reason, detractor_reason)


def at_risk_reasons(*, signals: Signals, policy, today: date) -> list[Reason]:
    """Every reason `policy` flags this customer at risk for, in rule order; empty when none."""
    return [reason for rule in RULES if (reason := rule(signals, policy, today)) is not None]


def stated_reason(code: str, *, signals: Signals, policy, today: date) -> Reason:
    """What a stored flag says, told from the signals it was computed from, with days counted to `today`.

    The flag itself is not checked again: the list shows what was flagged when it was computed.
    """
    if code == INACTIVE:
        usual = max(signals.mean_interval_days or MIN_INTERVAL_DAYS, MIN_INTERVAL_DAYS)
        return Reason(
            INACTIVE,
            _days_ago(signals.last_purchase_at, today),
            usual_days=round(usual),
            factor=_factor(policy.inactivity_factor),
        )
    if code == CART_ABANDONED:
        return Reason(CART_ABANDONED, _days_ago(signals.last_cart_abandoned_at, today))
    if code == UNSUBSCRIBED:
        return Reason(UNSUBSCRIBED, _days_ago(signals.last_unsubscribed_at, today))
    return Reason(DETRACTOR, _days_ago(signals.last_detractor_at, today), score=signals.last_detractor_score)
