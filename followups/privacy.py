"""What follow-up holds about a customer: their cases, with the outreach reason and the notes.

The privacy room (privacy.registry) finds this module through FollowupsConfig.personal_data.
It runs after surveys (ORDER), whose answers lead to the cases, and records the cases on the
subject for the apps after it (the emails on them, chat alerts). Erasure and retention keep
statuses, deadlines, outcomes and the staff usernames in the timeline; texts read "[erased]".
"""

from __future__ import annotations

from django.db.models import Prefetch, Q

from followups.models import Ticket, TicketEvent
from npsapp.personal_data import plain, username

ORDER = 30

# What a redacted case note or contact text reads afterwards.
REDACTED = "[erased]"


def _customer_cases(subject):
    return Ticket.objects.filter(Q(customer=subject.customer) | Q(response_id__in=subject.response_ids))


def _case(ticket: Ticket) -> dict:
    return {
        "reference": ticket.reference,
        "public_id": str(ticket.public_id),
        "kind": ticket.kind,
        "survey": ticket.survey.name,
        "response": str(ticket.response.public_id) if ticket.response_id else None,
        "status": ticket.status,
        "priority": ticket.priority,
        "reason": ticket.reason,
        "assignee": username(ticket.assignee),
        "opened_at": plain(ticket.opened_at),
        "first_contact_due_at": plain(ticket.first_contact_due_at),
        "first_contacted_at": plain(ticket.first_contacted_at),
        "contact_channel": ticket.contact_channel,
        "breached_at": plain(ticket.breached_at),
        "resolved_at": plain(ticket.resolved_at),
        "outcome": ticket.outcome,
        "timeline": [
            {
                "kind": event.kind,
                "field": event.field,
                "old_value": event.old_value,
                "new_value": event.new_value,
                "body": event.body,
                "by": username(event.actor),
                "at": plain(event.created_at),
            }
            for event in ticket.events.all()
        ],
    }


def export(subject, document: dict) -> None:
    """The customer's cases and their timelines: two queries."""
    tickets = list(
        _customer_cases(subject)
        .select_related("survey", "assignee", "response")
        .prefetch_related(Prefetch("events", queryset=TicketEvent.objects.select_related("actor")))
        .order_by("opened_at", "id")
    )
    subject.case_ids = [ticket.id for ticket in tickets]
    subject.case_public_ids = [str(ticket.public_id) for ticket in tickets]
    document["cases"] = [_case(ticket) for ticket in tickets]


def erase(subject) -> dict:
    """Note and contact texts read "[erased]", the outreach reason is blanked."""
    found = list(_customer_cases(subject).values_list("id", "public_id"))
    subject.case_ids = [case_id for case_id, _public_id in found]
    subject.case_public_ids = [str(public_id) for _case_id, public_id in found]
    return {
        "case_texts_redacted": TicketEvent.objects.filter(ticket_id__in=subject.case_ids)
        .exclude(body="")
        .exclude(body=REDACTED)
        .update(body=REDACTED),
        "case_reasons_blanked": Ticket.objects.filter(id__in=subject.case_ids).exclude(reason="").update(reason=""),
    }


def anonymise_responses(*, response_ids, now) -> None:
    """The cases of old answers lose their customer link, their outreach reason and their note texts."""
    Ticket.objects.filter(response_id__in=response_ids).update(customer=None, reason="")
    TicketEvent.objects.filter(ticket__response_id__in=response_ids).exclude(body="").exclude(body=REDACTED).update(
        body=REDACTED
    )
