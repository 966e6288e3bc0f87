"""Consent: the one gate every survey email passes (close-the-loop mailings pass it too).

A customer may not be emailed when, in this order (the first rule that applies is the reason):
their personal data was erased, they unsubscribed from surveys, they have no email address, a
mail server refused their address for good, or (contact fatigue) they were invited to any
survey within the fatigue window. Fatigue applies to every survey invitation except the
recovery re-survey, which belongs to a resolved case; an API write token may bypass it, and
the bypass is stored on the invitation. Close-the-loop mailings are not surveys: every rule
but fatigue applies to them. Emails about the customer's own case are service messages and
do not pass here.

Each rule is written twice, side by side: as a test on a loaded customer (`profile_refusal`,
for a row already in hand) and as a filter (`with_refusal`, `refused_q`, for many customers
in one query). `tests/surveys/test_consent.py` checks that the two agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from surveys.choices import ContactRefusal, DeliveryStatus
from surveys.models import Invitation, Survey

# An invitation counts as a contact unless it never reached the customer.
CONTACT_STATUSES = (DeliveryStatus.QUEUED, DeliveryStatus.SENT)


def fatigue_days(survey: Survey | None) -> int:
    """Days during which a customer invited to any survey is not invited again (0: no limit)."""
    if survey is not None and survey.contact_fatigue_days is not None:
        return survey.contact_fatigue_days
    return settings.NPSAPP_CONTACT_FATIGUE_DAYS


def fatigue_since(survey: Survey | None, now: dt.datetime) -> dt.datetime | None:
    """The start of the fatigue window for `survey` at `now` (None: no fatigue)."""
    days = fatigue_days(survey)
    return now - dt.timedelta(days=days) if days else None


def recent_invitations(*, since: dt.datetime) -> QuerySet[Invitation]:
    """Invitations that reached (or are about to reach) a customer since `since`, whatever the survey."""
    return Invitation.objects.filter(created_at__gte=since, delivery_status__in=CONTACT_STATUSES)


# The rules on the customer's own row ---------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    reason: str
    applies: Callable[[Customer], bool]  # on a loaded customer
    q: Callable[[str], Q]  # the same rule as a filter, the customer's fields behind `prefix`


PROFILE_RULES = (
    Rule(
        ContactRefusal.ERASED,
        lambda c: c.erased_at is not None,
        lambda p: Q(**{f"{p}erased_at__isnull": False}),
    ),
    Rule(
        ContactRefusal.UNSUBSCRIBED,
        lambda c: c.surveys_opted_out_at is not None,
        lambda p: Q(**{f"{p}surveys_opted_out_at__isnull": False}),
    ),
)
EMAIL_RULES = (
    Rule(ContactRefusal.NO_EMAIL, lambda c: not c.email, lambda p: Q(**{f"{p}email": ""})),
    # Only the address that failed: a corrected address (admin, import, API) lifts the refusal.
    Rule(
        ContactRefusal.EMAIL_FAILED,
        lambda c: c.email_failed_at is not None and c.email_failed_address == c.email,
        lambda p: Q(**{f"{p}email_failed_at__isnull": False, f"{p}email_failed_address": F(f"{p}email")}),
    ),
)


def _rules(by_email: bool) -> tuple[Rule, ...]:
    return PROFILE_RULES + (EMAIL_RULES if by_email else ())


def profile_refusal(customer: Customer, *, by_email: bool = True) -> str | None:
    """The first rule on the customer's own row that refuses them (fatigue aside), or None. No query."""
    return next((rule.reason for rule in _rules(by_email) if rule.applies(customer)), None)


# Many customers in one query ------------------------------------------------------------------


def _ordered_conditions(
    *, since: dt.datetime | None, by_email: bool, prefix: str, exclude_invitation: bool
) -> list[tuple[str, Q]]:
    conditions = [(rule.reason, rule.q(prefix)) for rule in _rules(by_email)]
    if since is not None:
        recent = recent_invitations(since=since).filter(customer=OuterRef(f"{prefix}pk" if prefix else "pk"))
        if exclude_invitation:
            # From an invitation queryset: other invitations than the one being sent count.
            recent = recent.exclude(pk=OuterRef("pk"))
        conditions.append((ContactRefusal.RECENTLY_INVITED, Q(Exists(recent))))
    return conditions


def refused_q(
    *, since: dt.datetime | None, by_email: bool = True, prefix: str = "", exclude_invitation: bool = False
) -> Q:
    """Customers (behind `prefix`, e.g. "customer__") that any rule refuses; exclude() it to keep the others."""
    q = Q()
    for _reason, condition in _ordered_conditions(
        since=since, by_email=by_email, prefix=prefix, exclude_invitation=exclude_invitation
    ):
        q |= condition
    return q


def with_refusal(
    customers: QuerySet[Customer],
    *,
    survey: Survey | None,
    now: dt.datetime | None = None,
    fatigue: bool = True,
    by_email: bool = True,
) -> QuerySet[Customer]:
    """`customers` annotated with `contact_refusal`: the first reason that refuses each one, "" if none."""
    since = fatigue_since(survey, now or timezone.now()) if fatigue else None
    whens = [
        When(condition, then=Value(reason))
        for reason, condition in _ordered_conditions(
            since=since, by_email=by_email, prefix="", exclude_invitation=False
        )
    ]
    return customers.annotate(contact_refusal=Case(*whens, default=Value("")))


def refusal_counts(
    customers: QuerySet[Customer],
    *,
    survey: Survey | None,
    now: dt.datetime | None = None,
    fatigue: bool = True,
    by_email: bool = True,
) -> dict[str, int]:
    """How many of `customers` each reason refuses, "" for those who may be emailed. One query."""
    annotated = with_refusal(customers.order_by(), survey=survey, now=now, fatigue=fatigue, by_email=by_email)
    return dict(annotated.values_list("contact_refusal").annotate(n=Count("id")).order_by())


def counts_by_label(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(code, label, count) for each reason that refused somebody, in the order the rules are checked."""
    labels = dict(ContactRefusal.choices)
    return [(code, labels[code], counts[code]) for code in labels if counts.get(code)]


# One customer ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactCheck:
    """The gate's answer for one customer: `reason` empty when they may be emailed now."""

    reason: str = ""
    last_invited_at: dt.datetime | None = None
    fatigue_days: int = 0

    @property
    def allowed(self) -> bool:
        return not self.reason

    @property
    def label(self) -> str:
        return str(dict(ContactRefusal.choices).get(self.reason, ""))

    @property
    def message(self) -> str:
        """A sentence saying why, for a page or an API error."""
        if self.reason == ContactRefusal.RECENTLY_INVITED and self.last_invited_at is not None:
            return _(
                "This customer was already invited on %(date)s, within the %(days)s-day contact-fatigue window."
            ) % {
                "date": formats.date_format(timezone.localtime(self.last_invited_at), "DATE_FORMAT"),
                "days": self.fatigue_days,
            }
        return {
            ContactRefusal.ERASED: _("This customer's personal data was erased: they cannot be surveyed."),
            ContactRefusal.UNSUBSCRIBED: _("This customer unsubscribed from survey emails."),
            ContactRefusal.NO_EMAIL: _("This customer has no email address."),
            ContactRefusal.EMAIL_FAILED: _(
                "The mail server refused this customer's email address for good: correct the address first."
            ),
            ContactRefusal.RECENTLY_INVITED: _("This customer was invited recently (contact fatigue)."),
        }.get(self.reason, "")


class ContactRefused(Exception):
    """The gate refused: `check` says why."""

    def __init__(self, check: ContactCheck):
        super().__init__(check.message)
        self.check = check

    @property
    def reason(self) -> str:
        return self.check.reason


def contact_check(
    *,
    customer: Customer,
    survey: Survey | None,
    now: dt.datetime | None = None,
    fatigue: bool = True,
    by_email: bool = True,
) -> ContactCheck:
    """May `customer` get a survey email (or, without `by_email`, a survey link) now? One query.

    Reads the customer's row afresh: an unsubscribe a second ago counts. `fatigue=False` for
    the recovery re-survey, close-the-loop mailings and an explicit API bypass.
    """
    now = now or timezone.now()
    since = fatigue_since(survey, now) if fatigue else None
    customers = with_refusal(
        Customer.objects.filter(pk=customer.pk), survey=survey, now=now, fatigue=fatigue, by_email=by_email
    )
    if since is not None:
        last = recent_invitations(since=since).filter(customer=OuterRef("pk")).order_by().values("customer")
        customers = customers.annotate(last_invited_at=Subquery(last.annotate(at=Max("created_at")).values("at")[:1]))
    else:
        customers = customers.annotate(last_invited_at=Value(None, output_field=DateTimeField()))
    row = customers.values("contact_refusal", "last_invited_at").first()
    if row is None:
        return ContactCheck(reason=ContactRefusal.ERASED)
    return ContactCheck(
        reason=row["contact_refusal"], last_invited_at=row["last_invited_at"], fatigue_days=fatigue_days(survey)
    )


def contact_require(**kwargs) -> ContactCheck:
    """`contact_check`, raising ContactRefused when the customer may not be emailed."""
    check = contact_check(**kwargs)
    if not check.allowed:
        raise ContactRefused(check)
    return check
