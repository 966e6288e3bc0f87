"""What integrations hold about a customer: webhook payloads and chat alerts in the delivery log.

The privacy room (privacy.registry) finds this module through IntegrationsConfig.personal_data.
It runs last (ORDER): it looks for the customer's old external id, answers and cases, which
the apps before it found (this app sits below them and knows none of their models).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext

from integrations.choices import DeliveryStatus, SubscriptionKind
from integrations.models import WebhookDelivery

ORDER = 50


def erase(subject) -> dict:
    return {
        "webhook_payloads_redacted": _redact_webhook_payloads(
            external_id=subject.external_id, response_ids=subject.response_public_ids
        )
        + _redact_chat_alerts(case_ids=subject.case_public_ids)
    }


def purge_older_than(*, cutoff) -> dict:
    """The delivery log keeps payloads with customer ids and comments: not longer than the answers."""
    deleted, _ = WebhookDelivery.objects.filter(created_at__lt=cutoff).delete()
    return {"webhook_deliveries_deleted": deleted}


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
