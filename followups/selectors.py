"""Reads over follow-up tickets: the inbox, one ticket, counts. No N+1."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from followups.choices import OPEN_STATUSES
from followups.models import Ticket
from npsapp import roles
from surveys.models import Response, ResponseTheme
from surveys.selectors import DETRACTOR_Q

INBOX_VIEWS = ("open", "mine", "unassigned", "overdue", "resolved")


def overdue_q(now) -> Q:
    return Q(status__in=OPEN_STATUSES, first_contacted_at__isnull=True, first_contact_due_at__lt=now)


def tickets_visible_to(user) -> QuerySet[Ticket]:
    if not roles.has_any_role(user, roles.CAN_WORK_CASES):
        return Ticket.objects.none()
    return Ticket.objects.all()


def inbox_tickets(*, user, view: str = "open", now=None) -> QuerySet[Ticket]:
    """The inbox: tickets by first-contact deadline, with everything a row shows joined in."""
    now = now or timezone.now()
    tickets = tickets_visible_to(user).select_related("response", "customer", "assignee", "survey")
    if view == "resolved":
        return tickets.exclude(status__in=OPEN_STATUSES).order_by("-resolved_at", "-id")
    tickets = tickets.filter(status__in=OPEN_STATUSES)
    if view == "mine":
        tickets = tickets.filter(assignee=user)
    elif view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif view == "overdue":
        tickets = tickets.filter(overdue_q(now))
    return tickets.order_by("first_contact_due_at", "id")


def ticket_for_user(*, user, public_id) -> Ticket:
    """The ticket if `user` may work it, else 404 (never reveal that it exists)."""
    ticket = (
        tickets_visible_to(user)
        .select_related("response__survey", "customer", "assignee", "survey")
        .filter(public_id=public_id)
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


def ticket_counts(*, survey=None, now=None) -> dict:
    """Open and overdue tickets, one query."""
    now = now or timezone.now()
    tickets = Ticket.objects.all() if survey is None else Ticket.objects.filter(survey=survey)
    return tickets.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=overdue_q(now)),
    )


def detractor_responses_without_ticket(*, submitted_before) -> QuerySet[Response]:
    return (
        Response.objects.filter(DETRACTOR_Q, ticket__isnull=True, submitted_at__lt=submitted_before)
        .select_related("survey")
        .order_by("submitted_at")
    )


def ticket_theme_links(*, ticket: Ticket) -> list[ResponseTheme]:
    """The active themes of the case's response with who tagged them, one query, by display name."""
    links = (
        ResponseTheme.objects.filter(response_id=ticket.response_id, theme__is_active=True)
        .select_related("theme", "tagged_by")
        .order_by()
    )
    return sorted(links, key=lambda link: link.theme.label.casefold())
