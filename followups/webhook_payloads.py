"""The `data` of the cases' webhook events (case.opened, case.breached, case.resolved,
case.customer_replied), published through the outbox (integrations/events.py)."""

from integrations.webhooks import iso
from surveys.webhook_payloads import customer_data, response_data, survey_data


def case_event_data(ticket) -> dict:
    """`data` of the case events. An outreach case has no `response`."""
    data = {
        "case": {
            "id": str(ticket.public_id),
            "reference": ticket.reference,
            "kind": ticket.kind,
            "status": ticket.status,
            "priority": ticket.priority,
            "opened_at": iso(ticket.opened_at),
            "first_contact_due_at": iso(ticket.first_contact_due_at),
            "first_contacted_at": iso(ticket.first_contacted_at),
            "breached_at": iso(ticket.breached_at),
            "resolved_at": iso(ticket.resolved_at),
            "outcome": ticket.outcome or None,
        },
        "survey": survey_data(ticket.survey),
    }
    if ticket.response_id is not None:
        data["response"] = response_data(ticket.response)
    customer = customer_data(ticket.customer)
    if customer is not None:
        data["customer"] = customer
    return data
