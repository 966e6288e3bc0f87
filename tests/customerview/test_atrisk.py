"""The at-risk rules, without a database: signals in, reasons out."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from customerview import atrisk
from customerview.atrisk import Signals, at_risk_reasons

TODAY = date(2025, 6, 30)
NOON = datetime(2025, 6, 30, 12, 0)


def _ago(days: int, hours: int = 0) -> datetime:
    return NOON - timedelta(days=days, hours=hours)


def policy(**overrides):
    values = {
        "inactivity_factor": Decimal("2"),
        "min_purchases_for_interval": 3,
        "cart_abandoned_days": 14,
        "unsubscribed_days": 30,
        "detractor_days": 90,
    }
    return SimpleNamespace(**(values | overrides))


def buyer(count: int, every_days: int, last_days_ago: int, **extra) -> Signals:
    """A customer who bought `count` times, every `every_days` days, the last time `last_days_ago` days ago."""
    last = _ago(last_days_ago)
    return Signals(
        purchase_count=count,
        first_purchase_at=last - timedelta(days=every_days * (count - 1)),
        last_purchase_at=last,
        **extra,
    )


@pytest.mark.parametrize(
    ("signals", "rules", "expected"),
    [
        # Nothing known: not at risk.
        (Signals(), policy(), []),
        # A monthly buyer silent for 61 days (> 2 × 30) is; for 60 days (not more than 2 ×) is not.
        (buyer(4, 30, 61), policy(), ["inactive"]),
        (buyer(4, 30, 60), policy(), []),
        # The factor is the admin's: at 3 ×, 61 days is still normal.
        (buyer(4, 30, 61), policy(inactivity_factor=Decimal("3")), []),
        (buyer(4, 30, 91), policy(inactivity_factor=Decimal("3")), ["inactive"]),
        # Too few purchases to know the usual interval.
        (buyer(2, 30, 200), policy(), []),
        (buyer(2, 30, 200), policy(min_purchases_for_interval=2), ["inactive"]),
        # Several purchases on one day: the usual interval counts as one day, not zero.
        (buyer(3, 0, 1), policy(), []),
        (buyer(3, 0, 3), policy(), ["inactive"]),
        # Factor 0 switches the rule off.
        (buyer(4, 30, 400), policy(inactivity_factor=Decimal("0")), []),
        # A cart abandoned 14 days ago without a purchase since: flagged; 15 days ago: too old.
        (Signals(last_cart_abandoned_at=_ago(14)), policy(), ["cart_abandoned"]),
        (Signals(last_cart_abandoned_at=_ago(15)), policy(), []),
        # ... but a purchase after the abandoned cart (even the same day) clears it.
        (buyer(1, 0, 2, last_cart_abandoned_at=_ago(2, hours=3)), policy(), []),
        (buyer(1, 0, 3, last_cart_abandoned_at=_ago(2)), policy(), ["cart_abandoned"]),
        (Signals(last_cart_abandoned_at=_ago(1)), policy(cart_abandoned_days=0), []),
        # Newsletter unsubscribe in the window.
        (Signals(last_unsubscribed_at=_ago(30)), policy(), ["unsubscribed"]),
        (Signals(last_unsubscribed_at=_ago(31)), policy(), []),
        # A detractor answer (0-6) in the window; a passive's 7 is not one.
        (Signals(last_detractor_at=_ago(90), last_detractor_score=6), policy(), ["detractor"]),
        (Signals(last_detractor_at=_ago(91), last_detractor_score=0), policy(), []),
        (Signals(last_detractor_at=_ago(3), last_detractor_score=7), policy(), []),
        # Every reason at once, in rule order.
        (
            buyer(
                5,
                10,
                40,
                last_cart_abandoned_at=_ago(3),
                last_unsubscribed_at=_ago(5),
                last_detractor_at=_ago(20),
                last_detractor_score=2,
            ),
            policy(),
            ["inactive", "cart_abandoned", "unsubscribed", "detractor"],
        ),
    ],
)
def test_reasons(signals, rules, expected):
    assert [reason.code for reason in at_risk_reasons(signals=signals, policy=rules, today=TODAY)] == expected


def test_days_are_calendar_days_back_from_today():
    # Late last night is one day ago this morning, not zero.
    signals = Signals(last_unsubscribed_at=datetime(2025, 6, 29, 23, 50))
    [reason] = at_risk_reasons(signals=signals, policy=policy(unsubscribed_days=1), today=TODAY)
    assert reason.text == "Unsubscribed from the newsletter 1 day ago."


def test_something_that_happened_today_says_today():
    signals = Signals(last_cart_abandoned_at=datetime(2025, 6, 30, 0, 10))
    [reason] = at_risk_reasons(signals=signals, policy=policy(), today=TODAY)
    assert reason.text == "Abandoned a cart today and has not bought since."


def test_reason_texts_say_why_with_the_figures():
    signals = buyer(4, 30, 75, last_detractor_at=_ago(12), last_detractor_score=3)
    texts = [reason.text for reason in at_risk_reasons(signals=signals, policy=policy(), today=TODAY)]
    assert texts == [
        "No purchase for 75 days, more than 2 × their usual 30 days between purchases.",
        "Answered 3 out of 10 (a detractor) 12 days ago.",
    ]


def test_fractional_factor_is_shown_as_set():
    signals = buyer(3, 10, 20)
    [reason] = at_risk_reasons(signals=signals, policy=policy(inactivity_factor=Decimal("1.5")), today=TODAY)
    assert "1.5 ×" in reason.text


@pytest.mark.parametrize(
    ("signals", "expected"),
    [(Signals(), None), (buyer(1, 0, 3), None), (buyer(2, 30, 3), 30.0), (buyer(5, 7, 3), 7.0)],
)
def test_mean_interval(signals, expected):
    assert signals.mean_interval_days == expected


def test_every_reason_code_has_a_filter_label():
    assert {code for code, _label in atrisk.REASONS} == {
        atrisk.INACTIVE,
        atrisk.CART_ABANDONED,
        atrisk.UNSUBSCRIBED,
        atrisk.DETRACTOR,
    }


def test_the_usual_interval_is_elapsed_time_across_a_change_of_clocks():
    """Thirty days apart at 00:30 UTC, across the end of summer time: 30 days, not 30 days and an hour."""
    paris = ZoneInfo("Europe/Paris")
    first = datetime(2024, 10, 16, 22, 30, tzinfo=UTC).astimezone(paris)
    last = datetime(2024, 11, 15, 22, 30, tzinfo=UTC).astimezone(paris)
    assert (last - first) != timedelta(days=30)  # Python's own subtraction, by the wall clock
    assert Signals(purchase_count=2, first_purchase_at=first, last_purchase_at=last).mean_interval_days == 30
