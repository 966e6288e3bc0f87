"""Every write for trigger rules: claim what is due, then send it in the sending window, once."""

import datetime as dt
import logging
import smtplib

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.services.email_failures import customer_record_email_failure
from followups.services import ticket_link_resurvey
from surveys.choices import DeliveryStatus
from surveys.consent import ContactRefused
from surveys.invitation_email import invitation_email_send
from surveys.models import Invitation
from surveys.services import invitation_create
from triggers import selectors
from triggers.choices import FireStatus, SkipReason, TriggerKind
from triggers.models import TriggerFire, TriggerRule
from triggers.window import customer_zone, in_window, next_send_time

logger = logging.getLogger(__name__)

SUBJECT_FIELD = {TriggerKind.PURCHASE: "purchase", TriggerKind.CASE_RESOLVED: "ticket", TriggerKind.EVENT: "event"}


RECOVERY_DAYS = 14


def recovery_rule_create(*, survey) -> TriggerRule | None:
    """A new survey's recovery re-survey: 14 days after each detractor case is resolved (not for an
    anonymous survey, whose answers lead to no customer)."""
    if survey.is_anonymous:
        return None
    return TriggerRule.objects.create(survey=survey, kind=TriggerKind.CASE_RESOLVED, delay_days=RECOVERY_DAYS)


def _subject_at(rule: TriggerRule, subject) -> dt.datetime:
    if rule.kind == TriggerKind.CASE_RESOLVED:
        return subject.resolved_at
    if rule.kind == TriggerKind.PURCHASE:
        return subject.purchased_at
    return subject.occurred_at


def _send_after(rule: TriggerRule, customer, now: dt.datetime) -> dt.datetime:
    if rule.send_any_time:
        return now
    return next_send_time(now, customer_zone(customer.custom_attributes))


def rule_claim_due(*, rule: TriggerRule, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Write one fire per subject `rule` finds due (the unique constraints make a rerun add nothing)."""
    now = now or timezone.now()
    field = SUBJECT_FIELD[rule.kind]
    fires = [
        TriggerFire(
            rule=rule,
            customer=subject.customer,
            due_at=_subject_at(rule, subject) + dt.timedelta(days=rule.delay_days),
            send_after=_send_after(rule, subject.customer, now),
            created_at=now,
            **{field: subject},
        )
        for subject in selectors.due_subjects(rule=rule, now=now)[:limit]
    ]
    TriggerFire.objects.bulk_create(fires, ignore_conflicts=True)
    return len(fires)


class _Skip(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _fire_skip(*, fire: TriggerFire, reason: str, now: dt.datetime) -> bool:
    skipped = TriggerFire.objects.filter(id=fire.id, status=FireStatus.WAITING).update(
        status=FireStatus.SKIPPED, reason=reason, decided_at=now
    )
    fire.status, fire.reason = FireStatus.SKIPPED, reason
    return skipped == 1


def fire_send(*, fire: TriggerFire, now: dt.datetime | None = None) -> str:
    """Send the survey of one due fire, once: "sent", "skipped", "waiting" (outside the window) or "".

    The invitation passes the consent gate (contact fatigue too, but for the recovery re-survey,
    which belongs to the case); a refusal is kept on the fire with its reason. A mail error
    rolls everything back, so the next run tries again, except for an address refused for good,
    which is kept on the customer: the gate then skips it.
    """
    now = now or timezone.now()
    rule, customer = fire.rule, fire.customer
    if not rule.send_any_time:
        zone = customer_zone(customer.custom_attributes)
        if not in_window(now, zone):
            TriggerFire.objects.filter(id=fire.id, status=FireStatus.WAITING).update(
                send_after=next_send_time(now, zone)
            )
            return FireStatus.WAITING
    recovery = rule.kind == TriggerKind.CASE_RESOLVED
    try:
        with transaction.atomic():
            claimed = TriggerFire.objects.filter(id=fire.id, status=FireStatus.WAITING).update(
                status=FireStatus.SENT, decided_at=now
            )
            if claimed != 1:
                return ""
            invitation = invitation_create(survey=rule.survey, customer=customer, created_at=now, is_resurvey=recovery)
            if recovery and not ticket_link_resurvey(ticket=fire.ticket, invitation=invitation, now=now):
                raise _Skip(SkipReason.ALREADY_RESURVEYED)
            TriggerFire.objects.filter(id=fire.id).update(invitation=invitation)
            # Sent inside the transaction: if the mail server refuses it, nothing is claimed and the
            # next run tries again.
            invitation_email_send(invitation=invitation)
            Invitation.objects.filter(id=invitation.id).update(
                delivery_status=DeliveryStatus.SENT, sent_at=now, delivery_attempts=F("delivery_attempts") + 1
            )
    except (ContactRefused, _Skip) as exc:
        return FireStatus.SKIPPED if _fire_skip(fire=fire, reason=exc.reason, now=now) else ""
    except smtplib.SMTPException as exc:
        customer_record_email_failure(customer=customer, exc=exc)
        raise
    fire.status, fire.invitation = FireStatus.SENT, invitation
    return FireStatus.SENT


def triggers_evaluate(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The beat: claim what every active rule finds due, then send the fires whose time has come.

    Safe to run twice or in two processes at once: a fire row claims each subject, and a
    conditional update claims each fire's sending.
    """
    now = now or timezone.now()
    for rule in TriggerRule.objects.filter(is_active=True).select_related("survey"):
        rule_claim_due(rule=rule, now=now, limit=limit)
    outcome = {FireStatus.SENT: 0, FireStatus.SKIPPED: 0, FireStatus.WAITING: 0}
    for fire in selectors.fires_ready(now=now).filter(rule__is_active=True)[:limit]:
        try:
            result = fire_send(fire=fire, now=now)
        except Exception:  # noqa: BLE001 - one failing address must not stop the others; retried next run
            logger.exception("triggered survey of fire %s failed", fire.id)
            continue
        if result:
            outcome[result] += 1
    return {str(key): value for key, value in outcome.items()}
