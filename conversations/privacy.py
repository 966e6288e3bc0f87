"""What conversations hold about a customer: the emails on their cases, and close-the-loop addresses.

The privacy room (privacy.registry) finds this module through ConversationsConfig.personal_data.
It runs after follow-up (ORDER), which found the customer's cases. Erasure and retention keep
direction, kind, dates and delivery states, so follow-up statistics do not move.
"""

from __future__ import annotations

from conversations import services
from conversations.models import Message
from followups.models import Ticket
from npsapp.personal_data import plain, username

ORDER = 40


def export(subject, document: dict) -> None:
    """What was emailed to the customer and what they answered, on each case of the export: one query."""
    by_case: dict[int, list[dict]] = {case_id: [] for case_id in subject.case_ids}
    if subject.case_ids:
        messages = (
            Message.objects.filter(ticket_id__in=subject.case_ids).select_related("author").order_by("created_at", "id")
        )
        for message in messages:
            by_case[message.ticket_id].append(
                {
                    "direction": message.direction,
                    "channel": message.channel,
                    "kind": message.kind,
                    "subject": message.subject,
                    "body": message.body,
                    "by": username(message.author),
                    "at": plain(message.created_at),
                }
            )
    public_ids = dict(zip(subject.case_public_ids, subject.case_ids, strict=True))
    for case in document.get("cases", []):
        case["messages"] = by_case[public_ids[case["public_id"]]]


def erase(subject) -> dict:
    """The emails on the customer's cases lose their text, address and reply link."""
    return services.customer_messages_erase(customer=subject.customer, ticket_ids=subject.case_ids)


def anonymise_responses(*, response_ids, now) -> None:
    """The emails on the cases of old answers lose their text, address and reply link."""
    services.case_messages_redact(ticket_ids=Ticket.objects.filter(response_id__in=response_ids).values("id"))
