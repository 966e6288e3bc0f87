"""REST API for reporting: the answers (with their case) and the NPS summary, read from the replica."""

from django import forms
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.response import Response as ApiResponse

from crm.segments import filter_choices
from followups.selectors import responses_visible_to
from integrations.api_support import (
    BAD_REQUEST,
    NOT_FOUND,
    YEAR_MAX,
    YEAR_MIN,
    ApiModelSerializer,
    BooleanFilter,
    CursorPagination,
    DateTimeFilter,
    JsonApiMixin,
    JsonApiView,
)
from npsapp.replicas import reads_from_replica
from reporting import reports
from reporting.followup_metrics import Performance
from reporting.followups_rollup import first_contact_figures
from surveys import scoring
from surveys.api import NPS_PARAMETERS, form_errors
from surveys.choices import Channel, Segment
from surveys.filters import RESURVEYS_INCLUDED, RESURVEYS_ONLY, DashboardFilterForm, ResponseFilter
from surveys.models import Response, ResponseTheme
from surveys.selectors import DETRACTOR_Q, PASSIVE_Q, PROMOTER_Q

SEGMENT_Q = {Segment.PROMOTER: PROMOTER_Q, Segment.PASSIVE: PASSIVE_Q, Segment.DETRACTOR: DETRACTOR_Q}
BAND_KEYS = ["world-class", "excellent", "favourable", "good", "needs-work"]

# --- Responses -----------------------------------------------------------------------------------


@extend_schema_field({"type": "integer", "minimum": scoring.SCORE_MIN, "maximum": scoring.SCORE_MAX})
class ScoreFilter(filters.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", scoring.SCORE_MIN)
        kwargs.setdefault("max_value", scoring.SCORE_MAX)
        super().__init__(*args, **kwargs)


class ResponseFilterSet(filters.FilterSet):
    survey = filters.UUIDFilter(field_name="survey__public_id", help_text=_("A survey's public id."))
    channel = filters.ChoiceFilter(choices=Channel.choices)
    score_min = ScoreFilter(field_name="score", lookup_expr="gte", help_text=_("Lowest score, 0 to 10."))
    score_max = ScoreFilter(field_name="score", lookup_expr="lte", help_text=_("Highest score, 0 to 10."))
    segment = filters.ChoiceFilter(choices=Segment.choices, method="filter_segment")
    submitted_after = DateTimeFilter(
        field_name="submitted_at", lookup_expr="gte", help_text=_("ISO 8601, e.g. 2026-01-31T00:00:00+01:00.")
    )
    submitted_before = DateTimeFilter(field_name="submitted_at", lookup_expr="lt", help_text=_("ISO 8601."))
    customer = filters.CharFilter(method="filter_customer", max_length=100, help_text=_("A customer's external id."))
    resurvey = BooleanFilter(
        field_name="is_resurvey",
        help_text=_("true: only recovery re-survey answers; false: none of them. Default: every answer."),
    )

    class Meta:
        model = Response
        fields = []

    def filter_segment(self, queryset, name, value):
        return queryset.filter(SEGMENT_Q[value])

    def filter_customer(self, queryset, name, value):
        # Answers to anonymous surveys are never matched to a customer.
        return queryset.filter(customer__external_id=value, survey__is_anonymous=False)


class ResponseSerializer(ApiModelSerializer):
    survey = serializers.UUIDField(source="survey.public_id", read_only=True)
    survey_name = serializers.CharField(source="survey.name", read_only=True)
    customer = serializers.SerializerMethodField(
        help_text=_("The customer's external id; null for an anonymous survey or an anonymised answer.")
    )
    segment = serializers.ChoiceField(choices=Segment.choices, read_only=True)
    critical = serializers.BooleanField(source="is_critical", read_only=True, help_text=_("A score of 0 to 3."))
    themes = serializers.SerializerMethodField()
    case = serializers.SerializerMethodField(help_text=_("The public id of the follow-up case, if any."))
    criteria = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("The criteria chosen, if the survey asks.")
    )
    csat = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("Satisfaction from 1 to 5, if the survey asks; else null.")
    )
    resurvey = serializers.BooleanField(
        source="is_resurvey",
        read_only=True,
        help_text=_("An answer to the recovery re-survey sent after a resolved case (left out of the NPS by default)."),
    )
    corrected_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_("When the respondent last changed their answer (within a day of giving it); null if never."),
    )

    class Meta:
        model = Response
        fields = [
            "public_id",
            "survey",
            "survey_name",
            "customer",
            "channel",
            "score",
            "segment",
            "critical",
            "comment",
            "criteria",
            "csat",
            "language",
            "location",
            "submitted_at",
            "corrected_at",
            "resurvey",
            "themes",
            "case",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_customer(self, response) -> str | None:
        if response.survey.is_anonymous or response.customer is None:
            return None
        return response.customer.external_id

    def get_themes(self, response) -> list[str]:
        return [link.theme.name for link in response.theme_links.all()]

    @extend_schema_field({"type": "string", "format": "uuid", "nullable": True})
    def get_case(self, response):
        ticket = getattr(response, "ticket", None)
        return str(ticket.public_id) if ticket is not None else None


def _responses(request):
    """The answers the token's creator may read (followups.selectors.responses_visible_to)."""
    themes = ResponseTheme.objects.filter(theme__is_active=True).select_related("theme").order_by("theme__name")
    return (
        responses_visible_to(request.user)
        .select_related("survey", "customer", "ticket")
        .prefetch_related(Prefetch("theme_links", queryset=themes))
    )


class ResponsePagination(CursorPagination):
    ordering = ("-submitted_at", "-id")


@extend_schema_view(
    get=extend_schema(
        operation_id="responses_list",
        summary=_("List responses, newest first"),
        responses={200: ResponseSerializer(many=True), 400: BAD_REQUEST, 404: NOT_FOUND},
        tags=["responses"],
    )
)
class ResponseListView(JsonApiMixin, generics.ListAPIView):
    serializer_class = ResponseSerializer
    filterset_class = ResponseFilterSet
    pagination_class = ResponsePagination

    def get_queryset(self):
        return _responses(self.request)

    @reads_from_replica
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema_view(
    get=extend_schema(operation_id="responses_read", summary=_("Read one response"), tags=["responses"])
)
class ResponseDetailView(JsonApiMixin, generics.RetrieveAPIView):
    serializer_class = ResponseSerializer
    filter_backends = []

    def get_object(self):
        return generics.get_object_or_404(_responses(self.request), public_id=self.kwargs["public_id"])


# --- NPS summary ---------------------------------------------------------------------------------


class NpsFiguresSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text=_("Answered scores."))
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    pct_promoters = serializers.FloatField(allow_null=True)
    pct_passives = serializers.FloatField(allow_null=True)
    pct_detractors = serializers.FloatField(allow_null=True)
    nps = serializers.FloatField(allow_null=True, help_text=_("From -100 to +100; null when nobody answered."))
    margin = serializers.FloatField(allow_null=True, help_text=_("95 % margin of error, in NPS points."))
    band = serializers.ChoiceField(choices=BAND_KEYS, allow_null=True)
    small_sample = serializers.BooleanField()


class NpsPeriodSerializer(NpsFiguresSerializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text=_("Inclusive."))


class NpsBucketSerializer(NpsFiguresSerializer):
    start = serializers.DateField(help_text=_("First day of the week (Monday) or month."))


class NpsBreakdownRowSerializer(NpsFiguresSerializer):
    key = serializers.CharField()
    label = serializers.CharField()
    differs = serializers.BooleanField(
        allow_null=True,
        help_text=_(
            "Whether this group's NPS differs from everyone else's by more than the noise (95 %, corrected for "
            "the number of groups with Holm's method); null when the group or the rest has fewer answers than "
            "the small-sample threshold."
        ),
    )


class FirstContactSerializer(serializers.Serializer):
    within_deadline = serializers.IntegerField(help_text=_("Cases first contacted within their deadline."))
    counted = serializers.IntegerField(
        help_text=_(
            "Cases whose deadline has passed or that were contacted; one resolved or closed without "
            "any contact counts as missed."
        )
    )
    pct_within_deadline = serializers.FloatField(allow_null=True, help_text=_("within_deadline / counted × 100."))


class NpsSummarySerializer(NpsPeriodSerializer):
    survey = serializers.UUIDField(allow_null=True)
    channel = serializers.CharField(allow_null=True, help_text=_("The channel counted; null: every channel."))
    resurveys = serializers.ChoiceField(
        choices=["excluded", "included", "only"], help_text=_("Whether recovery re-survey answers are counted.")
    )
    previous = NpsPeriodSerializer(help_text=_("The period of the same length just before."))
    change = serializers.FloatField(allow_null=True)
    change_is_significant = serializers.BooleanField(
        allow_null=True,
        help_text=_(
            "Whether the change is larger than the noise (95 %); null when either period has fewer answers than "
            "the small-sample threshold."
        ),
    )
    small_sample_threshold = serializers.IntegerField(
        help_text=_("Below this many answers an NPS is a small sample and gets no significance verdict.")
    )
    grain = serializers.ChoiceField(choices=["month", "week"])
    trend = NpsBucketSerializer(many=True)
    dimension = serializers.CharField(help_text=_("A built-in dimension, or attr:<key> for a custom attribute."))
    breakdown = NpsBreakdownRowSerializer(many=True)
    first_contact = FirstContactSerializer(
        help_text=_("Follow-up of the cases of the answers selected: first contact within deadline, as the dashboard.")
    )


def _figures(result: scoring.NpsResult) -> dict:
    return {
        "n": result.n,
        "promoters": result.promoters,
        "passives": result.passives,
        "detractors": result.detractors,
        "pct_promoters": result.pct_promoters,
        "pct_passives": result.pct_passives,
        "pct_detractors": result.pct_detractors,
        "nps": result.score,
        "margin": result.margin,
        "band": result.band_key,
        "small_sample": result.is_small_sample,
    }


def first_contact_data(total: Performance) -> dict:
    return {
        "within_deadline": total.within_deadline,
        "counted": total.deadline_counted,
        "pct_within_deadline": total.pct_within_deadline,
    }


def nps_summary_data(dashboard: reports.Dashboard) -> dict:
    filters, previous = dashboard.filters, dashboard.filters.previous()
    return {
        "first_contact": first_contact_data(first_contact_figures(filters=filters, now=timezone.now())),
        **_figures(dashboard.current),
        "start": filters.start,
        "end": filters.end,
        "survey": filters.survey.public_id if filters.survey else None,
        "channel": filters.channel or None,
        "resurveys": {RESURVEYS_INCLUDED: "included", RESURVEYS_ONLY: "only"}.get(filters.resurveys, "excluded"),
        "previous": {**_figures(dashboard.previous), "start": previous.start, "end": previous.end},
        "change": dashboard.change,
        "change_is_significant": dashboard.change_is_significant,
        "small_sample_threshold": dashboard.small_sample_threshold,
        "grain": filters.grain,
        "trend": [{**_figures(bucket.result), "start": bucket.start} for bucket in dashboard.trend],
        "dimension": filters.dimension,
        "breakdown": [
            {**_figures(row.result), "key": row.key, "label": row.label, "differs": row.differs}
            for row in dashboard.breakdown
        ],
    }


class NpsSummaryView(JsonApiView):
    @extend_schema(
        operation_id="nps_summary",
        summary=_("The NPS with its margin, the previous period, the trend and a breakdown"),
        description=_(
            "Takes the dashboard's filters and gives the dashboard's numbers. Declared custom attributes "
            "filter as attr_<key>=<value>, like on the dashboard."
        ),
        parameters=NPS_PARAMETERS,
        responses={200: NpsSummarySerializer, 400: BAD_REQUEST},
        tags=["nps"],
    )
    @reads_from_replica
    def get(self, request):
        form = DashboardFilterForm(request.query_params, **filter_choices())
        if not form.is_valid():
            raise serializers.ValidationError(form_errors(form))
        for name in ("start", "end"):
            day = form.cleaned_data.get(name)
            if day is not None and not YEAR_MIN <= day.year <= YEAR_MAX:
                message = _("Give a date between the years %(min)s and %(max)s.") % {"min": YEAR_MIN, "max": YEAR_MAX}
                raise serializers.ValidationError({name: [message]})
        filters_ = ResponseFilter.from_form(form, today=timezone.localdate())
        dashboard = reports.build_dashboard(filters_)
        return ApiResponse(NpsSummarySerializer(nps_summary_data(dashboard)).data)
