"""The managers' weekly email: last week's NPS against the week before, the trend, overdue cases.

`digest_build` reads the figures once (language-free); `digest_render` words them in one
language; `digest_send_weekly` mails every manager and admin. Weeks are the seven full
local days before the day of sending, so a Monday-morning digest covers Monday to Sunday.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.selectors import staff_languages
from followups.models import Ticket
from followups.selectors import overdue_q, ticket_counts, tickets_of_responses
from npsapp import roles
from npsapp.replicas import reads_from_replica
from reporting.followup_metrics import Performance, followup_report
from reporting.models import DigestDelivery
from surveys import scoring
from surveys.filters import ResponseFilter
from surveys.selectors import nps_summary

logger = logging.getLogger(__name__)

TREND_WEEKS = 8
OVERDUE_LISTED = 10
NO_SCORE = "—"


@dataclass(frozen=True)
class WeekNps:
    start: date
    end: date  # inclusive
    result: scoring.NpsResult


@dataclass(frozen=True)
class OverdueCase:
    reference: str
    customer: str  # empty when anonymous
    score: int
    due_at: datetime
    url: str


@dataclass(frozen=True)
class WeeklyDigest:
    now: datetime
    weeks: list[WeekNps]  # oldest first; the last one is the week just ended
    open_cases: int
    overdue_cases: int
    oldest_overdue: list[OverdueCase]
    dashboard_url: str
    # The cases of the week's answers: first contact within deadline, as the dashboard counts it.
    followup: Performance | None = None

    @property
    def current(self) -> WeekNps:
        return self.weeks[-1]

    @property
    def previous(self) -> WeekNps:
        return self.weeks[-2]

    @property
    def change(self) -> float | None:
        now, before = self.current.result.score, self.previous.result.score
        return None if now is None or before is None else now - before

    @property
    def change_is_significant(self) -> bool | None:
        return scoring.change_is_significant(self.current.result, self.previous.result)


def _week_filters(today: date) -> list[ResponseFilter]:
    """The last TREND_WEEKS periods of seven full days before `today`, oldest first."""
    last = ResponseFilter(start=today - timedelta(days=7), end=today - timedelta(days=1), today=today)
    weeks = [last]
    for _week in range(TREND_WEEKS - 1):
        weeks.append(weeks[-1].previous())
    return weeks[::-1]


def _customer_label(ticket: Ticket) -> str:
    if ticket.customer is None or ticket.survey.is_anonymous:
        return ""
    return ticket.customer.full_name or ticket.customer.external_id


def digest_build(*, now: datetime | None = None) -> WeeklyDigest:
    """The digest's figures: one query per week of the trend, two for the open cases, and the
    follow-up report (first contact within deadline) of the week's answers."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    filters = _week_filters(today)
    weeks = [WeekNps(start=f.start, end=f.end, result=nps_summary(f.responses())) for f in filters]
    counts = ticket_counts(now=now)
    followup = followup_report(tickets=tickets_of_responses(filters[-1].responses()), now=now).total
    oldest = (
        Ticket.objects.filter(overdue_q(now))
        .select_related("customer", "response", "survey")
        .order_by("first_contact_due_at", "id")[:OVERDUE_LISTED]
    )
    return WeeklyDigest(
        now=now,
        weeks=weeks,
        open_cases=counts["open"],
        overdue_cases=counts["overdue"],
        oldest_overdue=[
            OverdueCase(
                reference=ticket.reference,
                customer=_customer_label(ticket),
                score=ticket.response.score,
                due_at=ticket.first_contact_due_at,
                url=settings.SITE_URL + reverse("followups:ticket", args=[ticket.public_id]),
            )
            for ticket in oldest
        ],
        dashboard_url=f"{settings.SITE_URL}{reverse('reporting:dashboard')}?{filters[-1].query_string()}",
        followup=followup,
    )


def _signed(value: float | None) -> str:
    """An NPS or a change as the dashboard shows it: +20, −5, 0, or — when there is none."""
    if value is None:
        return NO_SCORE
    rounded = floatformat(value, 0)
    return f"+{rounded}" if value > 0 and rounded != "0" else rounded


def _pct(value: float | None) -> str:
    return NO_SCORE if value is None else f"{floatformat(value, 0)} %"


def _figures(result: scoring.NpsResult) -> dict:
    return {
        "nps": _signed(result.score),
        "n": result.n,
        "margin": NO_SCORE if result.margin is None else f"± {floatformat(result.margin, 1)}",
        "promoters": _pct(result.pct_promoters),
        "passives": _pct(result.pct_passives),
        "detractors": _pct(result.pct_detractors),
        "small_sample": result.is_small_sample,
    }


def _change_sentence(digest: WeeklyDigest) -> str:
    significant = digest.change_is_significant
    change = _signed(digest.change)
    if significant is None:
        if digest.change is None:
            return _("No comparison: one of the two weeks has no answers.")
        return _(
            "%(change)s points: no verdict, one of the two weeks has fewer than %(threshold)d answers "
            "(too few to tell a change from chance)."
        ) % {"change": change, "threshold": scoring.small_sample_threshold()}
    if significant:
        return _("%(change)s points: a real change (beyond the margin of error).") % {"change": change}
    return _("%(change)s points: within the margin of error, so possibly noise.") % {"change": change}


def _first_contact_sentence(followup: Performance | None) -> str:
    if followup is None or not followup.deadline_counted:
        return _("First contact within deadline: no case of these answers is due yet.")
    return _("First contact within deadline: %(pct)s (%(within)s of %(counted)s cases due or contacted).") % {
        "pct": _pct(followup.pct_within_deadline),
        "within": followup.within_deadline,
        "counted": followup.deadline_counted,
    }


def digest_render(digest: WeeklyDigest, *, language: str) -> tuple[str, str, str]:
    """Subject, text body and HTML body in `language`."""
    with translation.override(language):
        context = {
            "first_contact": _first_contact_sentence(digest.followup),
            "digest": digest,
            "current": _figures(digest.current.result),
            "previous": _figures(digest.previous.result),
            "change": _change_sentence(digest),
            # The digest counts as the dashboard does by default: every channel, no re-survey answers.
            "counted": ResponseFilter(start=digest.current.start, end=digest.current.end).who_is_counted,
            "trend": [{"week": week, **_figures(week.result)} for week in digest.weeks],
        }
        subject = render_to_string("reporting/email/weekly_digest_subject.txt", context)
        text = render_to_string("reporting/email/weekly_digest_body.txt", context)
        html = render_to_string("reporting/email/weekly_digest_body.html", context)
    return " ".join(subject.split()), text, html


def digest_recipients():
    """Active managers and admins (and superusers) with an email address."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    users = users.filter(Q(groups__name__in=[roles.MANAGER, roles.ADMIN]) | Q(is_superuser=True))
    return users.distinct().order_by("id")


class DigestNotSent(Exception):
    """No recipient could be mailed: safe to retry, nobody has it yet."""


def _claim(week_start: date, user) -> bool:
    try:
        with transaction.atomic():
            DigestDelivery.objects.create(week_start=week_start, recipient=user)
    except IntegrityError:
        return False
    return True


def digest_send_weekly(*, now: datetime | None = None) -> int:
    """Email the weekly digest to each manager and admin; returns how many emails were sent.

    One message per person (no one sees who else gets it). Each delivery is claimed by a
    row (week, person) before sending and released if sending fails, so running twice, or a
    retry after a partial failure, mails nobody twice. Only when nobody could be mailed does
    it raise (DigestNotSent, or the connection error), so that the task retries.
    """
    recipients = list(digest_recipients())
    if not recipients:
        return 0
    with reads_from_replica():
        digest = digest_build(now=now)
    week_start = digest.current.start
    languages = staff_languages(recipients)
    rendered = {language: digest_render(digest, language=language) for language in set(languages.values())}
    connection = mail.get_connection()
    connection.open()  # an unreachable server raises here, before anyone is mailed
    sent = failed = 0
    try:
        for user in recipients:
            if not _claim(week_start, user):
                continue  # already has this week's digest
            subject, text, html = rendered[languages[user.pk]]
            message = mail.EmailMultiAlternatives(subject, text, to=[user.email], connection=connection)
            message.attach_alternative(html, "text/html")
            try:
                sent += message.send()
            except (smtplib.SMTPException, OSError):
                DigestDelivery.objects.filter(week_start=week_start, recipient=user).delete()
                failed += 1
                logger.exception("weekly digest not sent to one recipient")
    finally:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            logger.warning("mail connection not closed cleanly after the weekly digest", exc_info=True)
    if failed and not sent:
        raise DigestNotSent(f"the weekly digest reached none of its {failed} remaining recipients")
    return sent
