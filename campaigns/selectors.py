"""Reads for campaigns: the audience a filter selects, who may be invited, and the campaign figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.choices import CampaignStatus, SkipReason
from campaigns.models import Campaign, CampaignSkip
from crm.choices import AgeBand, Gender, Plan
from crm.models import CustomAttribute, Customer, Purchase
from crm.segments import ATTRIBUTE_FIELD_PREFIX, Tenure, attribute_value
from surveys import consent
from surveys.choices import DeliveryStatus
from surveys.models import Invitation, Survey

# The audience filters a campaign keeps (custom attributes come as attr_<key> on top).
PROFILE_FIELDS = ("age_band", "gender", "region", "plan")
AUDIENCE_FIELDS = (*PROFILE_FIELDS, "tenure", "category", "newsletter")
# The longest a survey link can stay valid (Survey.link_valid_days' validator).
MAX_LINK_VALID_DAYS = 365


def audience_customers(*, audience: dict, today: dt.date | None = None) -> QuerySet[Customer]:
    """Every customer the audience filters select (all customers for an empty audience)."""
    customers = Customer.objects.all()
    q = Q()
    for name in PROFILE_FIELDS:
        if audience.get(name):
            q &= Q(**{name: audience[name]})
    if audience.get("tenure") in {band for band, _label in Tenure.CHOICES}:
        q &= Tenure.q(audience["tenure"], today or timezone.localdate(), prefix="")
    if audience.get("newsletter") in ("yes", "no"):
        q &= Q(newsletter_subscribed=audience["newsletter"] == "yes")
    customers = customers.filter(q)
    if audience.get("category"):
        customers = customers.filter(
            Exists(Purchase.objects.filter(customer=OuterRef("pk"), product_category=audience["category"]))
        )
    attributes = sorted(
        (key[len(ATTRIBUTE_FIELD_PREFIX) :], value)
        for key, value in audience.items()
        if key.startswith(ATTRIBUTE_FIELD_PREFIX) and value
    )
    for index, (key, value) in enumerate(attributes):
        alias = f"_attr_{index}"
        customers = customers.alias(**{alias: attribute_value(key, prefix="")}).filter(**{alias: value})
    return customers


@dataclass
class AudienceCount:
    matching: int
    invitable: int
    # (code, label, count) per consent rule that refuses some of them, in the order checked.
    skipped_by_reason: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.matching - self.invitable


def audience_count(*, audience: dict, survey: Survey | None, now: dt.datetime | None = None) -> AudienceCount:
    """How many customers match, how many could be invited now, and why the others could not. One query."""
    now = now or timezone.now()
    customers = audience_customers(audience=audience, today=timezone.localdate(now))
    counts = consent.refusal_counts(customers, survey=survey, now=now)
    return AudienceCount(
        matching=sum(counts.values()),
        invitable=counts.get("", 0),
        skipped_by_reason=consent.counts_by_label(counts),
    )


AUDIENCE_LABELS = {
    "age_band": (_("Age band"), dict(AgeBand.choices)),
    "gender": (_("Gender"), dict(Gender.choices)),
    "region": (_("Region"), {}),
    "tenure": (_("Customer for"), dict(Tenure.CHOICES)),
    "plan": (_("Plan"), dict(Plan.choices)),
    "category": (_("Product category bought"), {}),
    "newsletter": (_("Newsletter"), {"yes": _("Subscribed"), "no": _("Not subscribed")}),
}


def audience_description(audience: dict) -> list[tuple[str, str]]:
    """The audience's filters as (label, value) pairs for people. One query when it has custom attributes."""
    rows = []
    for name, (label, values) in AUDIENCE_LABELS.items():
        if audience.get(name):
            rows.append((label, values.get(audience[name], audience[name])))
    keys = {k[len(ATTRIBUTE_FIELD_PREFIX) :]: v for k, v in audience.items() if k.startswith(ATTRIBUTE_FIELD_PREFIX)}
    if keys:
        labels = dict(CustomAttribute.objects.filter(key__in=keys).values_list("key", "label"))
        rows += [(labels.get(key, key), value) for key, value in sorted(keys.items())]
    return rows


# Campaign pages ------------------------------------------------------------------------------


def _invitation_counts(prefix: str = "") -> dict:
    """Count expressions over a campaign's invitations (through `prefix`, e.g. "invitations__")."""
    pk, status = f"{prefix}id", f"{prefix}delivery_status"
    return {
        "invited": Count(pk),
        "queued": Count(pk, filter=Q(**{status: DeliveryStatus.QUEUED})),
        "sent": Count(pk, filter=Q(**{status: DeliveryStatus.SENT})),
        "failed": Count(pk, filter=Q(**{status: DeliveryStatus.FAILED})),
        "withheld": Count(pk, filter=Q(**{status: DeliveryStatus.SKIPPED})),
        "opened": Count(pk, filter=Q(**{f"{prefix}opened_at__isnull": False})),
        "answered": Count(pk, filter=Q(**{f"{prefix}answered": True})),
    }


def _skip_count() -> Subquery:
    skips = CampaignSkip.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign")
    return Coalesce(Subquery(skips.annotate(n=Count("id")).values("n")[:1]), 0, output_field=IntegerField())


def campaign_list() -> QuerySet[Campaign]:
    """Campaigns, latest send time first, each with its delivery counts. One query per page."""
    return (
        Campaign.objects.select_related("survey", "created_by")
        .annotate(**_invitation_counts("invitations__"), skipped=_skip_count())
        .order_by("-send_at", "-id")
    )


@dataclass
class CampaignCounts:
    invited: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    withheld: int = 0  # invitations not sent: the consent gate refused the customer at send time
    opened: int = 0
    answered: int = 0
    skipped: int = 0
    skipped_by_reason: list[tuple[str, int]] | None = None
    withheld_by_reason: list[tuple[str, int]] | None = None

    @property
    def response_rate(self) -> float | None:
        """Answers per email sent, in percent (None before any email is sent)."""
        return self.answered * 100 / self.sent if self.sent else None


def campaign_counts(*, campaign: Campaign) -> CampaignCounts:
    """The campaign's figures, its skipped customers and withheld invitations by reason. Three queries."""
    counts = Invitation.objects.filter(campaign=campaign).aggregate(**_invitation_counts())
    labels = dict(SkipReason.choices)
    by_reason = dict(
        CampaignSkip.objects.filter(campaign=campaign).order_by().values_list("reason").annotate(n=Count("id"))
    )
    return CampaignCounts(
        **counts,
        skipped=sum(by_reason.values()),
        skipped_by_reason=[(labels[reason], by_reason[reason]) for reason in labels if reason in by_reason],
        # A withheld invitation keeps the gate's reason (its label) as its failure reason.
        withheld_by_reason=list(
            Invitation.objects.filter(campaign=campaign, delivery_status=DeliveryStatus.SKIPPED)
            .order_by("failure_reason")
            .values_list("failure_reason")
            .annotate(n=Count("id"))
        )
        if counts["withheld"]
        else [],
    )


def campaign_failures(*, campaign: Campaign, limit: int = 100) -> list[Invitation]:
    return list(
        Invitation.objects.filter(campaign=campaign, delivery_status=DeliveryStatus.FAILED)
        .select_related("customer")
        .order_by("customer__last_name", "id")[:limit]
    )


def campaign_skips(*, campaign: Campaign) -> QuerySet[CampaignSkip]:
    return CampaignSkip.objects.filter(campaign=campaign).select_related("customer").order_by("reason", "id")


def campaign_invitations(*, campaign: Campaign) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(campaign=campaign)
        .select_related("customer")
        .order_by("customer__last_name", "customer__first_name", "id")
    )


def campaigns_with_reminders_due(*, now: dt.datetime) -> list[Campaign]:
    """Started campaigns whose survey sends a reminder and whose links may still be open. One query."""
    campaigns = Campaign.objects.filter(
        status__in=(CampaignStatus.SENDING, CampaignStatus.SENT),
        survey__reminder_after_days__gt=0,
        started_at__gte=now - dt.timedelta(days=MAX_LINK_VALID_DAYS),
    ).select_related("survey")
    return [
        campaign
        for campaign in campaigns.order_by("started_at", "id")
        if campaign.started_at >= now - dt.timedelta(days=campaign.survey.link_valid_days)
        and campaign.started_at <= now - dt.timedelta(days=campaign.survey.reminder_after_days)
    ]


def reminders_due(*, campaign: Campaign, now: dt.datetime) -> QuerySet[Invitation]:
    """A campaign's invitations owed their one reminder: sent long enough ago, unanswered, not
    expired, never reminded, and the customer still reachable."""
    days = campaign.survey.reminder_after_days
    if days <= 0:
        return Invitation.objects.none()
    # The consent gate, for many: a reminder is one more survey email. Fatigue counts the
    # customer's other invitations since the window opened, not the one being reminded.
    refused = consent.refused_q(
        since=consent.fatigue_since(campaign.survey, now), prefix="customer__", exclude_invitation=True
    )
    return Invitation.objects.filter(
        campaign=campaign,
        delivery_status=DeliveryStatus.SENT,
        sent_at__lte=now - dt.timedelta(days=days),
        reminded_at=None,
        expires_at__gt=now,
        answered=False,
    ).exclude(refused)
