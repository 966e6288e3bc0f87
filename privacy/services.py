"""Personal data (GDPR): export what is held about a customer, erase it, anonymise old answers.

Every function here writes one PrivacyEvent, the audit of staff actions on personal data.
Audit rows hold counts and dates, never the personal data itself.

What erasure and retention keep, and why: scores, dates, channels, surveys, themes, case
statuses and outcomes, purchases (amounts, dates, categories) and the coarse segment
attributes stay, so that every aggregate (the NPS, the daily roll-up, the follow-up
report, the dashboard's segment breakdowns) reads the same numbers before and after.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext

from conversations import services as conversation_services
from conversations.models import Message
from crm.choices import PrivacyAction
from crm.models import Customer, CustomerEvent, PrivacyEvent
from crm.services.customers import external_id_digest
from followups.models import Ticket, TicketEvent
from integrations.choices import DeliveryStatus, SubscriptionKind
from integrations.models import WebhookDelivery
from surveys.models import Invitation, Response, ResponseRevision, ResponseTheme

# What a redacted case note or contact text reads afterwards.
REDACTED = "[erased]"
RETENTION_BATCH_SIZE = 1000
EXPORT_FORMAT = "npsapp.customer-export.v1"

# Customer fields that say who the person is: blanked on erasure. The remaining profile
# fields (language, customer_since, newsletter_subscribed, age_band, gender, region, area,
# plan) are coarse segment attributes, shared by many customers and not identifying on their
# own; they are kept so that the dashboard's breakdowns by segment stay the same.
IDENTITY_FIELDS = {
    "email": "",
    "first_name": "",
    "last_name": "",
    "phone": "",
    "birth_year": None,
    "city": "",
    # The address a mail server refused (and its reply, which may quote it).
    "email_failed_address": "",
    "email_failure_reason": "",
}


def _plain(value):
    """A value JSON can hold as is: ISO dates, decimals and UUIDs as strings."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def _customer_responses(customer: Customer):
    # Answers to an anonymous survey have no customer, but their invitation still names them.
    return Response.objects.filter(Q(customer=customer) | Q(invitation__customer=customer))


def _profile(customer: Customer) -> dict:
    profile = {}
    for model_field in Customer._meta.concrete_fields:
        if model_field.name == "id":
            continue  # the internal key; the public id identifies the customer
        if model_field.name == "account_owner":
            profile["account_owner"] = _username(customer.account_owner)
        else:
            profile[model_field.name] = _plain(getattr(customer, model_field.attname))
    return profile


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
        "assignee": _username(ticket.assignee),
        "opened_at": _plain(ticket.opened_at),
        "first_contact_due_at": _plain(ticket.first_contact_due_at),
        "first_contacted_at": _plain(ticket.first_contacted_at),
        "contact_channel": ticket.contact_channel,
        "breached_at": _plain(ticket.breached_at),
        "resolved_at": _plain(ticket.resolved_at),
        "outcome": ticket.outcome,
        "timeline": [
            {
                "kind": event.kind,
                "field": event.field,
                "old_value": event.old_value,
                "new_value": event.new_value,
                "body": event.body,
                "by": _username(event.actor),
                "at": _plain(event.created_at),
            }
            for event in ticket.events.all()
        ],
        # What was emailed to the customer and what they answered (internal notes are above).
        "messages": [
            {
                "direction": message.direction,
                "channel": message.channel,
                "kind": message.kind,
                "subject": message.subject,
                "body": message.body,
                "by": _username(message.author),
                "at": _plain(message.created_at),
            }
            for message in ticket.messages.all()
        ],
    }


@transaction.atomic
def customer_export(*, customer: Customer, actor) -> dict:
    """Everything held about `customer`, as JSON-ready data (the right of access).

    Survey link tokens are left out: they are keys to answer, not information about the
    person. Staff appear by username. A fixed number of queries whatever the customer holds.
    """
    customer = Customer.objects.select_related("account_owner").get(pk=customer.pk)
    now = timezone.now()
    purchases = customer.purchases.order_by("purchased_at", "id")
    events = customer.events.order_by("occurred_at", "id")
    invitations = Invitation.objects.filter(customer=customer).select_related("survey").order_by("created_at", "id")
    responses = list(
        _customer_responses(customer)
        .select_related("survey")
        .prefetch_related(
            Prefetch("theme_links", queryset=ResponseTheme.objects.select_related("theme").order_by("theme__name"))
        )
        .order_by("submitted_at", "id")
    )
    tickets = (
        Ticket.objects.filter(Q(customer=customer) | Q(response_id__in=[response.id for response in responses]))
        .select_related("survey", "assignee", "response")
        .prefetch_related(
            Prefetch("events", queryset=TicketEvent.objects.select_related("actor")),
            Prefetch("messages", queryset=Message.objects.select_related("author").order_by("created_at", "id")),
        )
        .order_by("opened_at", "id")
    )
    privacy_log = customer.privacy_events.order_by("created_at", "id").values_list("action", "created_at")
    data = {
        "format": EXPORT_FORMAT,
        "exported_at": _plain(now),
        "customer": _profile(customer),
        "purchases": [
            {
                "purchased_at": _plain(purchase.purchased_at),
                "amount": _plain(purchase.amount),
                "currency": purchase.currency,
                "product_category": purchase.product_category,
                "channel": purchase.channel,
            }
            for purchase in purchases
        ],
        "events": [
            {"kind": event.kind, "occurred_at": _plain(event.occurred_at), "details": _plain(event.details)}
            for event in events
        ],
        "invitations": [
            {
                "survey": invitation.survey.name,
                "channel": invitation.channel,
                "created_at": _plain(invitation.created_at),
                "expires_at": _plain(invitation.expires_at),
                "answered": invitation.answered,
            }
            for invitation in invitations
        ],
        "responses": [
            {
                "public_id": str(response.public_id),
                "survey": response.survey.name,
                "score": response.score,
                "comment": response.comment,
                "submitted_at": _plain(response.submitted_at),
                "channel": response.channel,
                "language": response.language,
                "themes": [link.theme.name for link in response.theme_links.all()],
            }
            for response in responses
        ],
        "cases": [_case(ticket) for ticket in tickets],
        "privacy_log": [{"action": action, "at": _plain(at)} for action, at in privacy_log],
    }
    PrivacyEvent.objects.create(action=PrivacyAction.EXPORT, actor=actor, customer=customer, created_at=now)
    return data


@transaction.atomic
def customer_erase(*, customer: Customer, actor) -> None:
    """Erase the customer's identity (the right to erasure), keeping every aggregate.

    Decisions, so that numbers do not move while nobody can be recognised:
    - The customer row stays, with its identity blanked (IDENTITY_FIELDS, custom attributes,
      account owner) and `external_id` replaced by `erased-<public_id>`: the unique constraint
      holds and a later import matching on the old id cannot fill the row in again.
    - Kept on it: language, customer_since, newsletter_subscribed, age_band, gender, region,
      area and plan. Each is a coarse band shared by many customers and is not identifying
      on its own; the dashboard's segment breakdowns and tenure bands read them.
    - Responses keep their link to the (now anonymous) customer: the dashboard's CRM
      segments, "latest answer only" and the follow-up recovery rate follow that link.
      Their comment is redacted (empty); score, dates, channel, language and themes stay.
    - Cases: note and contact texts read "[erased]", the outreach reason is blanked.
      Statuses, deadlines, outcomes and the staff usernames in the timeline stay.
    - Purchases stay (amounts, dates, categories); behaviour events keep kind and date but
      lose their details; open survey links expire now, so a forwarded link dies.
    Erasing twice is harmless: the second run finds nothing left to redact.
    """
    now = timezone.now()
    original_external_id = customer.external_id
    already_erased = customer.erased_at is not None
    for name, blank in IDENTITY_FIELDS.items():
        setattr(customer, name, blank)
    customer.custom_attributes = {}
    customer.account_owner = None
    customer.external_id = f"erased-{customer.public_id}"
    customer.erased_at = customer.erased_at or now
    customer.save(
        update_fields=[
            *IDENTITY_FIELDS,
            "custom_attributes",
            "account_owner",
            "external_id",
            "erased_at",
            "updated_at",
        ]
    )

    responses = _customer_responses(customer)
    ticket_ids = list(
        Ticket.objects.filter(Q(customer=customer) | Q(response__in=responses.values("id"))).values_list(
            "id", flat=True
        )
    )
    counts = {
        "responses_redacted": responses.exclude(comment="", contact_email="").update(comment="", contact_email=""),
        "earlier_answers_redacted": ResponseRevision.objects.filter(response__in=responses.values("id"))
        .exclude(comment="")
        .update(comment=""),
        "case_texts_redacted": TicketEvent.objects.filter(ticket_id__in=ticket_ids)
        .exclude(body="")
        .exclude(body=REDACTED)
        .update(body=REDACTED),
        "case_reasons_blanked": Ticket.objects.filter(id__in=ticket_ids).exclude(reason="").update(reason=""),
        "event_details_removed": CustomerEvent.objects.filter(customer=customer).exclude(details={}).update(details={}),
        "invitations_expired": Invitation.objects.filter(customer=customer, expires_at__gt=now).update(expires_at=now),
        "webhook_payloads_redacted": _redact_webhook_payloads(
            external_id=original_external_id,
            response_ids=[str(public_id) for public_id in responses.values_list("public_id", flat=True)],
        )
        + _redact_chat_alerts(
            case_ids=[str(p) for p in Ticket.objects.filter(id__in=ticket_ids).values_list("public_id", flat=True)]
        ),
        **conversation_services.customer_messages_erase(customer=customer, ticket_ids=ticket_ids),
    }
    if not already_erased:
        # A keyed digest (not the id itself) lets a later import refuse rows for this person.
        counts["external_id_digest"] = external_id_digest(original_external_id)
    PrivacyEvent.objects.create(
        action=PrivacyAction.ERASE, actor=actor, customer=customer, details=counts, created_at=now
    )


def _redact_webhook_payloads(*, external_id: str, response_ids: list[str]) -> int:
    """Stored webhook payloads (the delivery log) lose the customer's id and comments."""
    deliveries = WebhookDelivery.objects.filter(
        Q(payload__data__customer__external_id=external_id) | Q(payload__data__response__id__in=response_ids)
    )
    changed = []
    for delivery in deliveries:
        data = delivery.payload.get("data", {})
        data.pop("customer", None)
        if isinstance(data.get("response"), dict):
            data["response"]["comment"] = ""
        changed.append(delivery)
    WebhookDelivery.objects.bulk_update(changed, ["payload"])
    return len(changed)


def _redact_chat_alerts(*, case_ids: list[str]) -> int:
    """Chat alerts in the delivery log (a name, a comment) are emptied; one not yet sent never goes.

    A chat message has no ids of its own: each carries the link to its case, with the case's id.
    """
    if not case_ids:
        return 0
    about_cases = Q()
    for case_id in case_ids:
        about_cases |= Q(payload__icontains=case_id)
    deliveries = WebhookDelivery.objects.filter(about_cases, subscription__kind=SubscriptionKind.CHAT)
    deliveries.filter(status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED,
        next_attempt_at=None,
        last_error=gettext("The customer's data was erased before it was sent."),
    )
    return deliveries.exclude(payload={}).update(payload={})


def _still_identifiable_q() -> Q:
    return Q(customer__isnull=False) | Q(invitation__isnull=False) | ~Q(comment="") | ~Q(contact_email="")


def responses_anonymise_older_than(*, months: int, now=None, actor=None) -> int:
    """Anonymise the responses submitted more than `months` months ago. Returns how many.

    Each loses its comment and its links to the customer and the invitation; its case loses
    its customer link, its outreach reason and its note texts. Scores, dates, channels and
    themes stay, so the NPS and the roll-up keep their numbers; old answers simply drop out
    of the CRM segment breakdowns. Works through the rows in batches of ids (flat memory),
    one transaction per batch; rows already anonymised are skipped, so a second run finds none.
    """
    if months < 1:
        raise ValueError("The retention period must be at least one month.")
    now = now or timezone.now()
    cutoff = now - relativedelta(months=months)
    pending = Response.objects.filter(_still_identifiable_q(), submitted_at__lt=cutoff)
    anonymised = 0
    last_id = 0
    while True:
        ids = list(pending.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:RETENTION_BATCH_SIZE])
        if not ids:
            break
        last_id = ids[-1]
        with transaction.atomic():
            # An old link without its answer could be used to answer again: close it first.
            Invitation.objects.filter(response__id__in=ids, expires_at__gt=now).update(expires_at=now)
            Response.objects.filter(id__in=ids).update(comment="", contact_email="", customer=None, invitation=None)
            ResponseRevision.objects.filter(response_id__in=ids).exclude(comment="").update(comment="")
            Ticket.objects.filter(response_id__in=ids).update(customer=None, reason="")
            conversation_services.case_messages_redact(
                ticket_ids=Ticket.objects.filter(response_id__in=ids).values("id")
            )
            TicketEvent.objects.filter(ticket__response_id__in=ids).exclude(body="").exclude(body=REDACTED).update(
                body=REDACTED
            )
        anonymised += len(ids)
    # The webhook delivery log keeps payloads with customer ids and comments: it is not kept
    # longer than the answers themselves.
    deliveries_deleted, _ = WebhookDelivery.objects.filter(created_at__lt=cutoff).delete()
    if anonymised or deliveries_deleted:
        PrivacyEvent.objects.create(
            action=PrivacyAction.RETENTION,
            actor=actor,
            details={
                "responses": anonymised,
                "webhook_deliveries_deleted": deliveries_deleted,
                "months": months,
                "cutoff": cutoff.isoformat(),
            },
            created_at=now,
        )
    return anonymised
