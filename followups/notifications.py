"""Internal emails about follow-up cases: a deadline warning to the assignee, a breach alert to
managers, a notice to the assignee that the customer replied. Each in the recipient's language
(accounts.StaffProfile), else the site's.

They do not wake people at night. A notification created while its calendar is closed (the
survey's business calendar; for an elapsed clock the calendar named by
NPSAPP_NOTIFICATION_CALENDAR, else 08:00–20:00 Europe/Paris every day) keeps `delivered_at`
empty, and the digest task sends all of a person's waiting notifications in one email once
the calendar opens; a held warning whose case was contacted, paused, closed or breached
meanwhile is dropped (marked delivered, not sent).

Each TicketNotification row is delivered once: a conditional UPDATE on `delivered_at` claims it
before anything is sent, inside a transaction, so a refused email leaves it for the next run.
"""

import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.selectors import staff_languages
from followups import sla
from followups.choices import NotificationKind
from followups.models import BusinessCalendar, TicketNotification
from npsapp import roles
from surveys.choices import SlaClock

logger = logging.getLogger(__name__)

DIGEST_BATCH = 2000


def default_calendar() -> sla.Calendar:
    """When people may be notified about cases on an elapsed (24/7) clock."""
    name = getattr(settings, "NPSAPP_NOTIFICATION_CALENDAR", "")
    if name:
        calendar = BusinessCalendar.objects.filter(name=name).prefetch_related("opening_hours", "holidays").first()
        if calendar is not None and calendar.opening_hours.all():
            return calendar.as_sla_calendar()
        logger.warning("NPSAPP_NOTIFICATION_CALENDAR names no calendar with opening hours: %r", name)
    return sla.DAYTIME


def calendar_for(survey, cache: dict | None = None) -> sla.Calendar:
    """The calendar that says when the people working `survey`'s cases may be notified."""
    cache = {} if cache is None else cache
    key = survey.business_calendar_id if survey.sla_clock != SlaClock.ELAPSED else None
    if key not in cache:
        calendar = None
        if key is not None:
            calendar = survey.business_calendar.as_sla_calendar()
            if not calendar.spans:
                calendar = None
        cache[key] = calendar or default_calendar()
    return cache[key]


def _with_email(users) -> list:
    return [user for user in users if user.is_active and user.email]


def recipients(notification: TicketNotification) -> list:
    """Who hears about it: the assignee for a warning or a customer's reply (the team's agents when
    nobody holds the case), the managers for a breach (the team's managers when it has any).
    Managers also get an unassigned warning or reply when there is no team to tell."""
    ticket = notification.ticket
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if notification.kind in (NotificationKind.WARNING, NotificationKind.REPLY):
        if ticket.assignee is not None and _with_email([ticket.assignee]):
            return [ticket.assignee]
        if ticket.team_id is not None:
            agents = list(users.filter(teams=ticket.team_id, groups__name=roles.AGENT).distinct().order_by("id"))
            if agents:
                return agents
    managers = users.filter(groups__name=roles.MANAGER).distinct().order_by("id")
    if ticket.team_id is not None:
        team_managers = list(managers.filter(teams=ticket.team_id))
        if team_managers:
            return team_managers
    return list(managers)


def _item(notification: TicketNotification) -> dict:
    ticket = notification.ticket
    anonymous = ticket.survey.is_anonymous or ticket.customer is None
    return {
        "kind": notification.kind,
        "is_breach": notification.kind == NotificationKind.BREACH,
        "is_reply": notification.kind == NotificationKind.REPLY,
        "kind_label": NotificationKind(notification.kind).label,
        "reference": ticket.reference,
        "customer": "" if anonymous else str(ticket.customer),
        "score": ticket.response.score if ticket.response_id is not None else None,
        "due_at": ticket.first_contact_due_at,
        "assignee": (ticket.assignee.get_full_name() or ticket.assignee.get_username()) if ticket.assignee_id else "",
        "url": settings.SITE_URL + reverse("followups:ticket", args=[ticket.public_id]),
    }


def _message(recipient, template: str, context: dict, language: str) -> mail.EmailMultiAlternatives:
    with translation.override(language):
        context = {**context, "recipient": recipient}
        subject = " ".join(render_to_string(f"followups/email/{template}_subject.txt", context).split())
        text = render_to_string(f"followups/email/{template}_body.txt", context)
        html = render_to_string(f"followups/email/{template}_body.html", context)
    message = mail.EmailMultiAlternatives(subject, text, to=[recipient.email])
    message.attach_alternative(html, "text/html")
    return message


def _outdated(notification: TicketNotification) -> bool:
    """A held warning about a case contacted, paused, closed or breached since says nothing useful;
    nor does a held reply notice once someone has read the reply."""
    ticket = notification.ticket
    if notification.kind == NotificationKind.REPLY:
        return ticket.customer_reply_unread_at is None
    if notification.kind != NotificationKind.WARNING:
        return False
    return (
        not ticket.is_open
        or ticket.first_contacted_at is not None
        or ticket.clock_paused_at is not None
        or ticket.breached_at is not None
    )


def notification_deliver(*, notification: TicketNotification, now=None) -> bool:
    """Send `notification` now if its calendar is open; otherwise it waits for the digest. True if sent."""
    now = now or timezone.now()
    if not sla.is_open(now, calendar_for(notification.ticket.survey)):
        return False
    with transaction.atomic():
        claimed = TicketNotification.objects.filter(id=notification.id, delivered_at__isnull=True).update(
            delivered_at=now
        )
        if claimed != 1:
            return False
        notification.delivered_at = now
        item = _item(notification)
        users = recipients(notification)
        languages = staff_languages(users)
        messages = [_message(user, "notification", {"item": item}, languages[user.pk]) for user in users]
        if messages:
            mail.get_connection().send_messages(messages)
    return True


def notifications_send_digest(*, now=None) -> int:
    """Every few minutes (beat): one email per person with the notifications held while closed.

    Only notifications whose calendar is open now are sent. Returns how many emails went out.
    """
    now = now or timezone.now()
    waiting = (
        TicketNotification.objects.filter(delivered_at__isnull=True)
        .select_related("ticket__survey__business_calendar", "ticket__customer", "ticket__response", "ticket__assignee")
        .order_by("created_at", "id")[:DIGEST_BATCH]
    )
    calendars: dict = {}
    ready = [n for n in waiting if sla.is_open(now, calendar_for(n.ticket.survey, calendars))]
    if not ready:
        return 0
    with transaction.atomic():
        per_recipient: dict = defaultdict(list)
        people = {}
        # Who hears about a notification depends only on these: ask the database once per group.
        audiences: dict = {}
        for notification in ready:
            claimed = TicketNotification.objects.filter(id=notification.id, delivered_at__isnull=True).update(
                delivered_at=now
            )
            if claimed != 1:
                continue  # another run took it
            if _outdated(notification):
                continue
            ticket = notification.ticket
            key = (notification.kind, ticket.assignee_id, ticket.team_id)
            if key not in audiences:
                audiences[key] = recipients(notification)
            for user in audiences[key]:
                people[user.pk] = user
                per_recipient[user.pk].append(_item(notification))
        languages = staff_languages(people.values())
        messages = [
            _message(
                people[pk],
                "digest",
                {
                    "items": items,
                    "warnings": sum(item["kind"] == NotificationKind.WARNING for item in items),
                    "breaches": sum(item["is_breach"] for item in items),
                    "replies": sum(item["is_reply"] for item in items),
                },
                languages[pk],
            )
            for pk, items in per_recipient.items()
        ]
        if messages:
            mail.get_connection().send_messages(messages)
    return len(messages)
