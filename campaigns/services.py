"""Every write for campaigns: create, cancel, start (invitations in bulk), send, remind, unsubscribe."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import selectors
from campaigns.choices import CampaignStatus, SkipReason
from campaigns.models import Campaign, CampaignSkip
from crm.models import Customer
from crm.services.email_failures import customer_record_email_failure
from npsapp.publish import publish_on_commit
from surveys import consent
from surveys.choices import DeliveryStatus
from surveys.invitation_email import InvitationEmailRenderer
from surveys.models import Invitation, Survey, new_token

logger = logging.getLogger(__name__)

# A send time this far in the past is still accepted: the form took a while to fill in.
SEND_AT_GRACE = dt.timedelta(minutes=5)
BATCH_SIZE = 200
INSERT_BATCH_SIZE = 1000
# An invitation claimed for sending belongs to that run for this long. A worker that dies
# mid-batch leaves at most one claimed email behind; the other runs leave it alone until the
# lease runs out. A campaign with queued invitations and no claim within a lease lost its task
# messages: the beat publishes them again (invitations_requeue_stale).
SENDING_LEASE = dt.timedelta(minutes=10)
# Claims of one invitation before it is stored as failed: a message that keeps killing its
# worker must not be tried for ever.
MAX_SEND_ATTEMPTS = 5
REMINDERS_PER_RUN = 500
REASON_MAX_LENGTH = 300


# Create and cancel --------------------------------------------------------------------------------


def _has_question_text(survey: Survey) -> bool:
    """A question of its own that is not blank, or the standard one, which needs the brand's name."""
    if survey.question:
        return bool(survey.question.strip())
    return bool(survey.brand.name.strip())


def campaign_validate(*, survey: Survey, audience: dict, send_at: dt.datetime, now: dt.datetime | None = None) -> None:
    """Raise ValidationError (by field) for a campaign that cannot go out as asked."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not survey.is_active:
        errors.setdefault("survey", []).append(_("This survey is not active: activate it or choose another one."))
    elif not _has_question_text(survey):
        errors.setdefault("survey", []).append(_("This survey has no question text: give it one first."))
    if send_at < now - SEND_AT_GRACE:
        errors.setdefault("send_at", []).append(_("This send time is in the past: choose now or a later time."))
    if not errors:
        count = selectors.audience_count(audience=audience, survey=survey, now=now)
        if count.matching == 0:
            errors.setdefault("__all__", []).append(
                _("No customer matches this audience: widen the filters to invite somebody.")
            )
        elif count.invitable == 0:
            reasons = "; ".join(f"{label}: {n}" for _code, label, n in count.skipped_by_reason)
            errors.setdefault("__all__", []).append(
                _("None of the %(count)s matching customers can be invited now (%(reasons)s).")
                % {"count": count.matching, "reasons": reasons}
            )
    if errors:
        raise ValidationError(errors)


def campaign_create(
    *, name: str, survey: Survey, audience: dict, send_at: dt.datetime, created_by=None, now: dt.datetime | None = None
) -> Campaign:
    """Schedule a campaign; the beat task sends it at `send_at`. Raises ValidationError."""
    campaign_validate(survey=survey, audience=audience, send_at=send_at, now=now)
    campaign = Campaign(
        name=name.strip(),
        survey=survey,
        audience={key: value for key, value in audience.items() if value},
        send_at=send_at,
        created_by=created_by,
        created_at=now or timezone.now(),
    )
    campaign.full_clean()
    campaign.save()
    return campaign


def campaign_cancel(*, campaign: Campaign) -> None:
    """Cancel a campaign that has not started. Raises ValidationError once it has."""
    cancelled = Campaign.objects.filter(id=campaign.id, status=CampaignStatus.SCHEDULED).update(
        status=CampaignStatus.CANCELLED, finished_at=timezone.now()
    )
    if cancelled != 1:
        raise ValidationError(_("Only a scheduled campaign can be cancelled: this one has already started."))
    campaign.refresh_from_db(fields=["status", "finished_at"])


# Start: claim, then create the invitations in bulk --------------------------------------------------


def _batches(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]


@transaction.atomic
def campaign_start(*, campaign_id: int, now: dt.datetime | None = None, publish: bool = True) -> list[list[int]] | None:
    """Claim a due campaign (scheduled → sending) and create its invitations and skips in bulk.

    Returns the invitation ids in send batches; with `publish`, one send task per batch goes
    out after the commit. Returns None when another run claimed it first. A crash before the
    commit rolls the claim back too, so the next beat starts it again.
    """
    now = now or timezone.now()
    claimed = Campaign.objects.filter(id=campaign_id, status=CampaignStatus.SCHEDULED, send_at__lte=now).update(
        status=CampaignStatus.SENDING, started_at=now
    )
    if claimed != 1:
        return None
    campaign = Campaign.objects.select_related("survey").get(id=campaign_id)
    survey = campaign.survey
    if not survey.is_active:
        # Deactivated since the campaign was scheduled: its links would lead nowhere useful.
        logger.warning("campaign %s cancelled at its send time: survey %s is no longer active", campaign.id, survey.id)
        Campaign.objects.filter(id=campaign.id).update(status=CampaignStatus.CANCELLED, finished_at=now)
        return []
    customers = selectors.audience_customers(audience=campaign.audience, today=timezone.localdate(now))
    # The consent gate, for the whole audience in the same query: who may be emailed, and why not.
    rows = (
        consent.with_refusal(customers, survey=survey, now=now)
        .order_by("id")
        .values_list("id", "language", "contact_refusal")
    )
    expires_at = now + dt.timedelta(days=survey.link_valid_days)
    invitations, skips = [], []

    def flush():
        Invitation.objects.bulk_create(invitations, batch_size=INSERT_BATCH_SIZE)
        CampaignSkip.objects.bulk_create(skips, batch_size=INSERT_BATCH_SIZE, ignore_conflicts=True)
        invitations.clear()
        skips.clear()

    for row in rows.iterator(chunk_size=INSERT_BATCH_SIZE):
        if len(invitations) + len(skips) >= INSERT_BATCH_SIZE:
            flush()
        customer_id, language, reason = row
        if reason:
            skips.append(CampaignSkip(campaign=campaign, customer_id=customer_id, reason=reason, created_at=now))
            continue
        invitations.append(
            Invitation(
                survey=survey,
                customer_id=customer_id,
                campaign=campaign,
                token=new_token(),
                language=language or settings.LANGUAGE_CODE,
                created_at=now,
                expires_at=expires_at,
                delivery_status=DeliveryStatus.QUEUED,
            )
        )
    flush()
    ids = list(
        Invitation.objects.filter(campaign=campaign, delivery_status=DeliveryStatus.QUEUED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    batches = _batches(ids)
    if publish:
        _publish_batches(batches)
    if not ids:
        Campaign.objects.filter(id=campaign.id).update(status=CampaignStatus.SENT, finished_at=now)
    return batches


def _publish_batches(batches: list[list[int]]) -> None:
    from campaigns.tasks import invitations_send_batch_task

    for batch in batches:
        publish_on_commit(invitations_send_batch_task, batch)


def campaigns_start_due(*, now: dt.datetime | None = None) -> int:
    """Every minute (beat): start every campaign whose send time has come. Returns how many started."""
    now = now or timezone.now()
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, send_at__lte=now).order_by("send_at", "id")
    started = 0
    for campaign_id in list(due.values_list("id", flat=True)):
        if campaign_start(campaign_id=campaign_id, now=now) is not None:
            started += 1
    return started


def campaigns_finish(*, now: dt.datetime | None = None) -> int:
    """Mark sent every sending campaign with no invitation left in the queue."""
    queued = Invitation.objects.filter(campaign=OuterRef("pk"), delivery_status=DeliveryStatus.QUEUED)
    return (
        Campaign.objects.filter(status=CampaignStatus.SENDING)
        .exclude(Exists(queued))
        .update(status=CampaignStatus.SENT, finished_at=now or timezone.now())
    )


def invitations_requeue_stale(*, now: dt.datetime | None = None) -> int:
    """Publish again the queued invitations of campaigns where sending stopped (lost message, dead worker).

    A sending campaign has stopped when none of its invitations was claimed within the
    SENDING_LEASE, nor the campaign started or requeued. At most once per lease per campaign;
    the per-invitation claim makes a duplicate message harmless. An invitation whose claims
    ran out (MAX_SEND_ATTEMPTS, every one ended by a dead worker) is stored as failed.
    Returns how many invitations were queued again.
    """
    now = now or timezone.now()
    cutoff = now - SENDING_LEASE
    Invitation.objects.filter(
        campaign__status=CampaignStatus.SENDING,
        delivery_status=DeliveryStatus.QUEUED,
        delivery_attempts__gte=MAX_SEND_ATTEMPTS,
        claimed_at__lte=cutoff,
    ).update(
        delivery_status=DeliveryStatus.FAILED,
        failure_reason=_("The sending worker stopped before the email was confirmed sent."),
    )
    queued = Invitation.objects.filter(campaign=OuterRef("pk"), delivery_status=DeliveryStatus.QUEUED)
    recently_claimed = Invitation.objects.filter(campaign=OuterRef("pk"), claimed_at__gt=cutoff)
    stale = (
        Campaign.objects.filter(status=CampaignStatus.SENDING, started_at__lte=cutoff)
        .filter(Q(requeued_at=None) | Q(requeued_at__lte=cutoff))
        .filter(Exists(queued))
        .exclude(Exists(recently_claimed))
    )
    requeued = 0
    for campaign_id in list(stale.values_list("id", flat=True)):
        with transaction.atomic():
            if (
                not Campaign.objects.filter(id=campaign_id)
                .filter(Q(requeued_at=None) | Q(requeued_at__lte=cutoff))
                .update(requeued_at=now)
            ):
                continue
            ids = list(
                Invitation.objects.filter(campaign_id=campaign_id, delivery_status=DeliveryStatus.QUEUED)
                .order_by("id")
                .values_list("id", flat=True)
            )
            _publish_batches(_batches(ids))
            requeued += len(ids)
    if requeued:
        logger.warning("%s queued invitations of stopped campaigns were published again", requeued)
    return requeued


# Send -------------------------------------------------------------------------------------------


def is_transient(exc: Exception) -> bool:
    """Whether trying again later may succeed (a 4xx SMTP reply, a dropped or refused connection)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _message in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, smtplib.SMTPException | OSError)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:REASON_MAX_LENGTH]


def _withheld_reason(customer: Customer) -> str | None:
    """The consent gate again at send time (someone may have unsubscribed since the start)."""
    reason = consent.profile_refusal(customer)
    return str(SkipReason(reason).label) if reason else None


def _claim(invitation: Invitation, *, now: dt.datetime) -> bool:
    """Take the lease on one queued invitation: True when this run may send it now.

    A conditional UPDATE: queued, and not claimed by another run within SENDING_LEASE. Only one
    run's UPDATE matches; a claim left by a worker that died is taken over once the lease ran out.
    """
    claimed = (
        Invitation.objects.filter(id=invitation.id, delivery_status=DeliveryStatus.QUEUED)
        .filter(Q(claimed_at=None) | Q(claimed_at__lte=now - SENDING_LEASE))
        .update(claimed_at=now, delivery_attempts=F("delivery_attempts") + 1)
    )
    if claimed:
        invitation.delivery_attempts += 1
    return bool(claimed)


def invitations_send_batch(*, invitation_ids: list[int], final_attempt: bool = False) -> list[int]:
    """Email a batch of queued invitations over one connection. Returns the ids to try again.

    Each invitation is claimed (a lease, SENDING_LEASE) just before its own send, and what
    became of it (sent, failed, to retry) is written just after, in the transaction that
    claims the next one: one commit per email, and never a second send begun before the first
    is recorded. So a batch run twice, or run again after its worker died half-way, mails
    nobody twice; a worker killed mid-send leaves one invitation claimed, which the next run
    takes over when the lease runs out. A transient SMTP error releases the invitation, queued
    with the reason, to be retried, unless this is the final attempt; anything else marks it
    failed with the reason.
    """
    invitations = (
        Invitation.objects.filter(id__in=invitation_ids, delivery_status=DeliveryStatus.QUEUED)
        .select_related("customer", "survey__brand")
        .order_by("id")
    )
    retry_ids = []
    # What became of the invitation just handled, written with the next claim (or at the end).
    outcome: list[tuple[int, dict]] = []

    def record_then_claim(invitation: Invitation | None) -> bool:
        with transaction.atomic():
            if db_connection.vendor == "postgresql":
                # Visible to every other run at once, flushed to disk within a fraction of a
                # second: a dead worker loses nothing; only a crash of PostgreSQL itself could
                # cost the last instant's records (then those emails go out twice). Waiting for
                # the disk on every email cost more than building the email (bench/invitations.py).
                with db_connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            for invitation_id, changes in outcome:
                Invitation.objects.filter(id=invitation_id).update(**changes)
            outcome.clear()
            return invitation is not None and _claim(invitation, now=timezone.now())

    renderer = InvitationEmailRenderer()
    connection = mail.get_connection()
    try:
        connection.open()
    except Exception:  # noqa: BLE001 - each send below reports its own error
        logger.warning("could not open the mail connection; sending message by message", exc_info=True)
    try:
        for invitation in invitations:
            if not record_then_claim(invitation):
                continue  # sent, or being sent, by another run
            withheld = _withheld_reason(invitation.customer)
            if withheld:
                outcome.append((invitation.id, {"delivery_status": DeliveryStatus.SKIPPED, "failure_reason": withheld}))
                continue
            try:
                renderer.message(invitation=invitation, connection=connection).send()
            except ValueError as exc:
                outcome.append((invitation.id, _failed(str(exc))))
            except Exception as exc:  # noqa: BLE001 - any backend error is stored on the row
                if is_transient(exc) and not final_attempt and invitation.delivery_attempts < MAX_SEND_ATTEMPTS:
                    outcome.append((invitation.id, {"claimed_at": None, "failure_reason": _reason(exc)}))
                    retry_ids.append(invitation.id)
                else:
                    logger.warning("invitation %s could not be emailed: %s", invitation.id, exc)
                    outcome.append((invitation.id, _failed(_reason(exc))))
                    customer_record_email_failure(customer=invitation.customer, exc=exc)
            else:
                sent = {"delivery_status": DeliveryStatus.SENT, "sent_at": timezone.now(), "failure_reason": ""}
                outcome.append((invitation.id, sent))
    finally:
        try:
            record_then_claim(None)
        finally:
            connection.close()
    return retry_ids


def _failed(reason: str) -> dict:
    return {"delivery_status": DeliveryStatus.FAILED, "failure_reason": reason[:REASON_MAX_LENGTH]}


# Reminders --------------------------------------------------------------------------------------


def invitations_remind_due(*, now: dt.datetime | None = None, limit: int = REMINDERS_PER_RUN) -> int:
    """Every beat: the one reminder to customers who have not answered. Returns how many were sent.

    The reminder is claimed (reminded_at set by a conditional UPDATE) before it is sent, so
    it goes out at most once, even when two runs overlap; a failed send is logged, not retried.
    """
    now = now or timezone.now()
    sent = 0
    renderer = InvitationEmailRenderer()
    with mail.get_connection() as connection:
        for campaign in selectors.campaigns_with_reminders_due(now=now):
            due = selectors.reminders_due(campaign=campaign, now=now).select_related("customer", "survey__brand")
            for invitation in due.order_by("sent_at", "id")[: limit - sent]:
                if Invitation.objects.filter(id=invitation.id, reminded_at=None).update(reminded_at=now) != 1:
                    continue
                try:
                    renderer.message(invitation=invitation, reminder=True, connection=connection).send()
                except Exception:  # noqa: BLE001 - a reminder is a courtesy: log, never twice
                    logger.warning("reminder for invitation %s could not be emailed", invitation.id, exc_info=True)
                    continue
                sent += 1
            if sent >= limit:
                break
    return sent


# Unsubscribe ------------------------------------------------------------------------------------


def customer_unsubscribe_from_surveys(*, customer: Customer, now: dt.datetime | None = None) -> bool:
    """Record that the customer wants no more survey emails. False when they already had.

    Every later campaign skips them (reason: unsubscribed), and queued emails are withheld.
    """
    now = now or timezone.now()
    updated = Customer.objects.filter(id=customer.id, surveys_opted_out_at=None).update(
        surveys_opted_out_at=now, updated_at=now
    )
    if updated:
        customer.surveys_opted_out_at = now
    return bool(updated)
