"""Which case events a team's channel is told of, and what it says. Reads only; the outbox writes.

`deliveries_for` is the source registered with the webhook outbox (integrations.events): it runs
inside the case's transaction, so the deliveries commit or roll back with the change.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from chatalerts.messages import Alert, Fact, message_for
from chatalerts.models import ChatDestination
from followups.choices import TicketKind
from followups.models import Ticket
from integrations.choices import WebhookEvent
from surveys import scoring

COMMENT_MAX_LENGTH = 300
COLORS = {
    WebhookEvent.CASE_OPENED: "#c62828",
    WebhookEvent.CASE_BREACHED: "#ef6c00",
    WebhookEvent.CASE_CUSTOMER_REPLIED: "#1565c0",
}


def _truncate(text: str) -> str:
    text = text.strip()
    return text if len(text) <= COMMENT_MAX_LENGTH else text[: COMMENT_MAX_LENGTH - 1].rstrip() + "…"


def _customer_name(ticket: Ticket) -> str:
    """The customer's name, or "" for an anonymous survey, an erased customer or no customer."""
    if ticket.survey.is_anonymous or ticket.customer is None or ticket.customer.erased_at is not None:
        return ""
    return ticket.customer.full_name


def case_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("followups:ticket", args=[ticket.public_id])


def _facts(ticket: Ticket) -> list[Fact]:
    facts = []
    if ticket.response_id is not None:
        facts.append(Fact(_("Score"), f"{ticket.response.score}/10"))
    facts.append(Fact(_("Survey"), ticket.survey.name))
    if name := _customer_name(ticket):
        facts.append(Fact(_("Customer"), name))
    facts.append(Fact(_("Case"), ticket.reference))
    return facts


def _is_critical_detractor(ticket: Ticket) -> bool:
    return (
        ticket.kind == TicketKind.DETRACTOR
        and ticket.response_id is not None
        and ticket.response.score is not None
        and scoring.is_critical(ticket.response.score)
    )


def alert_for(*, event: str, ticket: Ticket) -> Alert | None:
    """The alert a channel gets for `event` on `ticket`, or None when the event is not one to tell."""
    with translation.override(settings.LANGUAGE_CODE):
        url, link_label, facts = case_url(ticket), _("Open the case"), _facts(ticket)
        if event == WebhookEvent.CASE_OPENED:
            if not _is_critical_detractor(ticket):
                return None
            comment = _truncate(ticket.response.comment)
            return Alert(
                headline=_("New critical detractor: %(score)s/10") % {"score": ticket.response.score},
                color=COLORS[event],
                url=url,
                link_label=link_label,
                facts=facts if comment else [*facts, Fact(_("Comment"), _("No comment."))],
                quote=comment,
                quote_label=_("Their words"),
            )
        if event == WebhookEvent.CASE_BREACHED:
            due = formats.date_format(timezone.localtime(ticket.first_contact_due_at), "DATETIME_FORMAT")
            return Alert(
                headline=_("Case %(reference)s missed its first-contact deadline") % {"reference": ticket.reference},
                color=COLORS[event],
                url=url,
                link_label=link_label,
                facts=[*facts, Fact(_("First contact was due"), due)],
            )
        if event == WebhookEvent.CASE_CUSTOMER_REPLIED:
            return Alert(
                headline=_("The customer replied on case %(reference)s") % {"reference": ticket.reference},
                color=COLORS[event],
                url=url,
                link_label=link_label,
                facts=facts,
            )
    return None


def deliveries_for(*, event: str, subject) -> list[tuple[ChatDestination, dict]]:
    """The outbox source: one message per active destination of the case's own team that wants `event`."""
    if not isinstance(subject, Ticket) or subject.team_id is None:
        return []
    destinations = [
        d for d in ChatDestination.objects.filter(team_id=subject.team_id, is_active=True) if d.wants(event)
    ]
    if not destinations:
        return []
    alert = alert_for(event=event, ticket=subject)
    if alert is None:
        return []
    return [(destination, message_for(destination.platform, alert)) for destination in destinations]
