"""Personal data (GDPR): export what is held about a customer, erase it, anonymise old answers.

Each app that holds personal data owns its part (its `privacy` module, see privacy.registry);
the functions here call every registered part in their order, inside one transaction, and
write one PrivacyEvent, the audit of staff actions on personal data. Audit rows hold counts
and dates, never the personal data itself.

What erasure and retention keep, and why: scores, dates, channels, surveys, themes, case
statuses and outcomes, purchases (amounts, dates, categories) and the coarse segment
attributes stay, so that every aggregate (the NPS, the daily roll-up, the follow-up
report, the dashboard's segment breakdowns) reads the same numbers before and after.
"""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from crm.models import Customer
from followups.privacy import REDACTED
from npsapp.personal_data import plain
from privacy import registry
from privacy.choices import PrivacyAction
from privacy.models import PrivacyEvent
from surveys.privacy import responses_identifiable_before

__all__ = ["REDACTED", "customer_erase", "customer_export", "responses_anonymise_older_than"]

RETENTION_BATCH_SIZE = 1000
EXPORT_FORMAT = "npsapp.customer-export.v1"


@transaction.atomic
def customer_export(*, customer: Customer, actor) -> dict:
    """Everything held about `customer`, as JSON-ready data (the right of access).

    Each app adds its sections (the profile, purchases and events; survey links and answers;
    cases, their timelines and emails), then the privacy log as it was before this export.
    Survey link tokens are left out: they are keys to answer, not information about the
    person. Staff appear by username. A fixed number of queries whatever the customer holds.
    """
    now = timezone.now()
    subject = registry.Subject(customer=customer, now=now, external_id=customer.external_id)
    document = {"format": EXPORT_FORMAT, "exported_at": plain(now)}
    for export in registry.hooks("export"):
        export(subject, document)
    privacy_log = PrivacyEvent.objects.filter(customer=customer).order_by("created_at", "id")
    document["privacy_log"] = [
        {"action": action, "at": plain(at)} for action, at in privacy_log.values_list("action", "created_at")
    ]
    PrivacyEvent.objects.create(action=PrivacyAction.EXPORT, actor=actor, customer=customer, created_at=now)
    return document


@transaction.atomic
def customer_erase(*, customer: Customer, actor) -> None:
    """Erase the customer's identity (the right to erasure), keeping every aggregate.

    Each app erases its part, in order (crm.privacy, surveys.privacy, followups.privacy,
    conversations.privacy, integrations.privacy), so that numbers do not move while nobody can
    be recognised:
    - The customer row stays, with its identity blanked and `external_id` replaced by
      `erased-<public_id>`: the unique constraint holds and a later import matching on the
      old id cannot fill the row in again. Coarse segment attributes stay.
    - Responses keep their link to the (now anonymous) customer: the dashboard's CRM
      segments, "latest answer only" and the follow-up recovery rate follow that link.
      Their comment is redacted (empty); score, dates, channel, language and themes stay.
    - Cases: note and contact texts read "[erased]", the outreach reason is blanked; the
      emails on them lose their text. Statuses, deadlines, outcomes and staff usernames stay.
    - Purchases stay; behaviour events keep kind and date but lose their details; open
      survey links expire now, so a forwarded link dies; the webhook log forgets them.
    Erasing twice is harmless: the second run finds nothing left to redact.
    """
    now = timezone.now()
    subject = registry.Subject(
        customer=customer, now=now, external_id=customer.external_id, already_erased=customer.erased_at is not None
    )
    counts: dict = {}
    for erase in registry.hooks("erase"):
        counts.update(erase(subject))
    PrivacyEvent.objects.create(
        action=PrivacyAction.ERASE, actor=actor, customer=customer, details=counts, created_at=now
    )


def responses_anonymise_older_than(*, months: int, now=None, actor=None) -> int:
    """Anonymise the responses submitted more than `months` months ago. Returns how many.

    Each loses its comment and its links to the customer and the invitation; its case loses
    its customer link, its outreach reason and its note texts, the emails on it their text.
    Scores, dates, channels and themes stay, so the NPS and the roll-up keep their numbers;
    old answers simply drop out of the CRM segment breakdowns. Works through the rows in
    batches of ids (flat memory), one transaction per batch in which every app anonymises its
    part; rows already anonymised are skipped, so a second run finds none. Then each app
    purges its own logs older than the cutoff (the webhook delivery log).
    """
    if months < 1:
        raise ValueError("The retention period must be at least one month.")
    now = now or timezone.now()
    cutoff = now - relativedelta(months=months)
    pending = responses_identifiable_before(cutoff)
    anonymised = 0
    last_id = 0
    while True:
        ids = list(pending.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:RETENTION_BATCH_SIZE])
        if not ids:
            break
        last_id = ids[-1]
        with transaction.atomic():
            for anonymise in registry.hooks("anonymise_responses"):
                anonymise(response_ids=ids, now=now)
        anonymised += len(ids)
    purged: dict = {}
    with transaction.atomic():
        for purge in registry.hooks("purge_older_than"):
            purged.update(purge(cutoff=cutoff))
        if anonymised or any(purged.values()):
            PrivacyEvent.objects.create(
                action=PrivacyAction.RETENTION,
                actor=actor,
                details={"responses": anonymised, **purged, "months": months, "cutoff": cutoff.isoformat()},
                created_at=now,
            )
    return anonymised
