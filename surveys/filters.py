"""The dashboard's filters: parsed from the URL (so a view can be shared), applied to every figure.

`DashboardFilterForm` validates the query string; `ResponseFilter` is the clean result and
knows how to narrow responses and tickets, and the previous period to compare with. The
customer filters they build on (tenure bands, custom attribute segments, the choices offered)
are the CRM's: crm/segments.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Purchase
from crm.segments import (
    ATTRIBUTE_DIMENSION_PREFIX,
    ATTRIBUTE_FIELD_PREFIX,
    CustomerFilterForm,
    Tenure,
    attribute_value,
    with_blank,
)
from surveys.choices import Channel
from surveys.models import Response, Survey

MAX_PERIOD_DAYS = 366 * 10
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2200, 12, 31)


# Breakdown dimensions: name → (label, the response field or None when computed).
DIMENSIONS = {
    "survey": (_("Survey"), "survey__name"),
    "channel": (_("Channel"), "channel"),
    "age_band": (_("Age band"), "customer__age_band"),
    "gender": (_("Gender"), "customer__gender"),
    "region": (_("Region"), "customer__region"),
    "tenure": (_("Customer for"), None),
    "plan": (_("Plan"), "customer__plan"),
    "category": (_("Product category bought"), "customer__purchases__product_category"),
}
CRM_FILTERS = ("age_band", "gender", "region", "tenure", "plan", "category")

# Recovery re-survey answers (after a resolved case): left out of the NPS by default.
RESURVEYS_EXCLUDED = ""
RESURVEYS_INCLUDED = "include"
RESURVEYS_ONLY = "only"
RESURVEY_CHOICES = [
    (RESURVEYS_EXCLUDED, _("Left out (default)")),
    (RESURVEYS_INCLUDED, _("Counted with the others")),
    (RESURVEYS_ONLY, _("Only these")),
]


def resurvey_q(resurveys: str, prefix: str = "") -> Q:
    """The answers counted for a re-survey choice: all, only re-survey answers, or none of them (default)."""
    if resurveys == RESURVEYS_INCLUDED:
        return Q()
    return Q(**{f"{prefix}is_resurvey": resurveys == RESURVEYS_ONLY})


class SurveyChoiceField(forms.ModelChoiceField):
    """Chooses a survey by its public id; anything that is not one is simply an unknown survey."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from exc


class DashboardFilterForm(CustomerFilterForm):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    survey = SurveyChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.order_by("name"),
        to_field_name="public_id",
        required=False,
        empty_label=_("All surveys"),
        error_messages={"invalid_choice": _("That survey does not exist.")},
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=with_blank(Channel.choices), required=False)
    latest_only = forms.BooleanField(
        label=_("Count each customer's latest answer only (relationship NPS)"), required=False
    )
    resurveys = forms.ChoiceField(
        label=_("Recovery re-survey answers"),
        choices=RESURVEY_CHOICES,
        required=False,
        help_text=_("They measure how follow-up won customers back, not the customer base: left out by default."),
    )
    grain = forms.ChoiceField(label=_("Trend by"), choices=[("month", _("Month")), ("week", _("Week"))], required=False)
    dimension = forms.ChoiceField(
        label=_("Break down by"), choices=[(key, label) for key, (label, _f) in DIMENSIONS.items()], required=False
    )

    # The period, survey and channel first, then the customer filters.
    field_order = ["start", "end", "survey", "channel"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One breakdown dimension per segment attribute, beside its filter field.
        self.fields["dimension"].choices = [
            *self.fields["dimension"].choices,
            *(
                (f"{ATTRIBUTE_DIMENSION_PREFIX}{key}", self.fields[f"{ATTRIBUTE_FIELD_PREFIX}{key}"].label)
                for key in self.attribute_keys
            ),
        ]

    @property
    def attribute_filters_open(self) -> bool:
        """Whether a custom attribute filter is set or wrong (its part of the form is shown open)."""
        return any(field.value() or field.errors for field in self.attribute_fields)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        for name, value in (("start", start), ("end", end)):
            if value and not MIN_DATE <= value <= MAX_DATE:
                self.add_error(name, _("Choose a date between 1900 and 2200."))
                return cleaned
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        if start and end and (end - start).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("Choose a period of at most ten years."))
        return cleaned


def default_start(today: date) -> date:
    """The first day of the month eleven months ago: twelve calendar months with this one."""
    index = today.year * 12 + today.month - 1 - 11
    return date(index // 12, index % 12 + 1, 1)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class ResponseFilter:
    start: date
    end: date  # inclusive
    survey: Survey | None = None
    channel: str = ""
    age_band: str = ""
    gender: str = ""
    region: str = ""
    tenure: str = ""
    plan: str = ""
    category: str = ""
    latest_only: bool = False
    resurveys: str = RESURVEYS_EXCLUDED
    grain: str = "month"
    dimension: str = "survey"
    today: date | None = None
    # Custom attribute filters: (key, value) pairs, each an exact match on the customer's value.
    custom: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_form(cls, form: DashboardFilterForm, *, today: date) -> ResponseFilter:
        data = form.cleaned_data
        end = data.get("end") or today
        start = data.get("start") or default_start(end)
        return cls(
            start=start,
            end=end,
            survey=data.get("survey"),
            channel=data.get("channel") or "",
            age_band=data.get("age_band") or "",
            gender=data.get("gender") or "",
            region=data.get("region") or "",
            tenure=data.get("tenure") or "",
            plan=data.get("plan") or "",
            category=data.get("category") or "",
            latest_only=bool(data.get("latest_only")),
            resurveys=data.get("resurveys") or RESURVEYS_EXCLUDED,
            grain=data.get("grain") or "month",
            dimension=data.get("dimension") or "survey",
            today=today,
            custom=tuple(
                (key, data[f"{ATTRIBUTE_FIELD_PREFIX}{key}"])
                for key in getattr(form, "attribute_keys", ())
                if data.get(f"{ATTRIBUTE_FIELD_PREFIX}{key}")
            ),
        )

    @property
    def starts_at(self) -> datetime:
        return _local_midnight(self.start)

    @property
    def ends_before(self) -> datetime:
        return _local_midnight(self.end + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def has_crm_filter(self) -> bool:
        return any(getattr(self, name) for name in CRM_FILTERS) or bool(self.custom)

    @property
    def can_use_rollup(self) -> bool:
        """The daily roll-up counts by day, survey and channel only."""
        return not self.has_crm_filter and not self.latest_only

    def previous(self) -> ResponseFilter:
        """The same filters over the period of equal length just before."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def _crm_q(self, prefix: str) -> Q:
        q = Q()
        for name in ("age_band", "gender", "region", "plan"):
            value = getattr(self, name)
            if value:
                q &= Q(**{f"{prefix}{name}": value})
        if self.tenure:
            q &= Tenure.q(self.tenure, self.today or timezone.localdate(), prefix)
        return q

    def _with_custom(self, responses: QuerySet[Response]) -> QuerySet[Response]:
        for index, (key, value) in enumerate(self.custom):
            alias = f"_attr_{index}"
            responses = responses.alias(**{alias: attribute_value(key)}).filter(**{alias: value})
        return responses

    def responses(self, *, period: bool = True) -> QuerySet[Response]:
        """The responses these filters select (in the period unless `period=False`)."""
        responses = Response.objects.all()
        if period:
            responses = responses.filter(submitted_at__gte=self.starts_at, submitted_at__lt=self.ends_before)
        if self.survey is not None:
            responses = responses.filter(survey=self.survey)
        if self.channel:
            responses = responses.filter(channel=self.channel)
        responses = responses.filter(resurvey_q(self.resurveys))
        if self.has_crm_filter:
            responses = responses.filter(self._crm_q("customer__"))
        if self.custom:
            responses = self._with_custom(responses)
        if self.category:
            responses = responses.filter(
                Exists(Purchase.objects.filter(customer=OuterRef("customer"), product_category=self.category))
            )
        if self.latest_only:
            # Relationship NPS: a response counts only if the same customer gave no later one
            # (within the same survey and channel filters, in the period).
            later = Response.objects.filter(customer=OuterRef("customer"), submitted_at__gt=OuterRef("submitted_at"))
            later = later.filter(submitted_at__lt=self.ends_before) if period else later
            if self.survey is not None:
                later = later.filter(survey=self.survey)
            if self.channel:
                later = later.filter(channel=self.channel)
            later = later.filter(resurvey_q(self.resurveys))
            responses = responses.filter(Q(customer__isnull=True) | ~Exists(later))
        return responses

    def case_responses(self) -> QuerySet[Response]:
        """The answers whose follow-up cases the case figures and the cases CSV read.

        Leaving re-survey answers out is about who the NPS counts: a case opened by a re-survey
        answer is still a case to work, so it counts unless only re-survey answers are asked for.
        """
        resurveys = RESURVEYS_INCLUDED if self.resurveys == RESURVEYS_EXCLUDED else self.resurveys
        return replace(self, resurveys=resurveys).responses()

    @property
    def who_is_counted(self) -> str:
        """Which answers the figures count, in words: the channels and the re-survey answers."""
        channels = dict(Channel.choices)
        if self.channel:
            shown = str(channels.get(self.channel, self.channel))
        else:
            shown = ", ".join(str(label) for label in channels.values())
        resurveys = {
            RESURVEYS_EXCLUDED: _("recovery re-survey answers left out"),
            RESURVEYS_INCLUDED: _("recovery re-survey answers included"),
            RESURVEYS_ONLY: _("recovery re-survey answers only"),
        }[self.resurveys]
        return str(_("Counted: answers by %(channels)s; %(resurveys)s.") % {"channels": shown, "resurveys": resurveys})

    def query_string(self, **overrides) -> str:
        from urllib.parse import urlencode

        values = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "survey": str(self.survey.public_id) if self.survey else "",
            "channel": self.channel,
            "age_band": self.age_band,
            "gender": self.gender,
            "region": self.region,
            "tenure": self.tenure,
            "plan": self.plan,
            "category": self.category,
            "latest_only": "on" if self.latest_only else "",
            "resurveys": self.resurveys,
            "grain": self.grain,
            "dimension": self.dimension,
        }
        values.update({f"{ATTRIBUTE_FIELD_PREFIX}{key}": value for key, value in self.custom})
        values.update(overrides)
        return urlencode({k: v for k, v in values.items() if v})
