"""The API's "what to fix first": the dashboard panel's figures, with the dashboard's filters."""

from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response as ApiResponse

from crm.segments import filter_choices
from insights import selectors
from insights.drivers import Counts
from integrations.api_support import BAD_REQUEST, YEAR_MAX, YEAR_MIN, JsonApiView
from surveys.api import NPS_PARAMETERS, form_errors
from surveys.filters import DashboardFilterForm, ResponseFilter


class GroupNpsSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    nps = serializers.FloatField(allow_null=True)
    interval = serializers.ListField(
        child=serializers.FloatField(), allow_null=True, help_text=_("Interval (95 %) on adjusted-Wald counts.")
    )


class DriverSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["theme", "criterion", "satisfaction", "age_band", "gender", "region", "plan"]
    )
    key = serializers.CharField()
    label = serializers.CharField()
    impact = serializers.FloatField(help_text=_("NPS points gained if this group's detractors became passives."))
    share_of_detractors = serializers.FloatField(allow_null=True)
    share_of_promoters = serializers.FloatField(allow_null=True)
    inside = GroupNpsSerializer(help_text=_("The answers in this group."))
    outside = GroupNpsSerializer(help_text=_("The other answers."))
    p_value = serializers.FloatField(allow_null=True)
    below_the_rest = serializers.BooleanField(
        allow_null=True, help_text=_("Null: too few answers for a verdict. Holm-corrected over all groups.")
    )


class CriterionSerializer(serializers.Serializer):
    option = serializers.CharField()
    chosen_by = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    nps = GroupNpsSerializer()


class DriversSerializer(serializers.Serializer):
    total = GroupNpsSerializer()
    drivers = DriverSerializer(many=True)
    criteria_answered = serializers.IntegerField()
    criteria = CriterionSerializer(many=True)
    satisfaction_mean = serializers.FloatField(allow_null=True)
    satisfaction_n = serializers.IntegerField()


def _nps(counts: Counts) -> dict:
    interval = counts.interval
    return {
        "n": counts.n,
        "promoters": counts.promoters,
        "passives": counts.passives,
        "detractors": counts.detractors,
        "nps": counts.nps,
        "interval": list(interval) if interval else None,
    }


def drivers_data(report: selectors.DriverReport) -> dict:
    return {
        "total": _nps(report.total),
        "drivers": [
            {
                "kind": driver.kind,
                "key": driver.key,
                "label": driver.label,
                "impact": driver.impact,
                "share_of_detractors": driver.share_of_detractors,
                "share_of_promoters": driver.share_of_promoters,
                "inside": _nps(driver.inside),
                "outside": _nps(driver.outside),
                "p_value": driver.p_value,
                "below_the_rest": driver.is_below if driver.has_verdict else None,
            }
            for driver in report.drivers
        ],
        "criteria_answered": report.criteria_answered,
        "criteria": [
            {"option": option, "chosen_by": count, "share": share, "nps": _nps(counts)}
            for option, count, share, counts in report.criteria
        ],
        "satisfaction_mean": report.satisfaction_mean,
        "satisfaction_n": report.satisfaction_n,
    }


class DriversView(JsonApiView):
    @extend_schema(
        operation_id="nps_drivers",
        summary=_("What to fix first: each group's share of detractors, NPS with and without it, and impact"),
        description=_(
            "Groups are themes, criteria chosen, satisfaction levels and CRM attributes. Takes the dashboard's "
            "filters. Also gives the share choosing each criterion with its NPS, and the mean satisfaction."
        ),
        parameters=[parameter for parameter in NPS_PARAMETERS if parameter.name not in ("grain", "dimension")],
        responses={200: DriversSerializer, 400: BAD_REQUEST},
        tags=["nps"],
    )
    def get(self, request):
        form = DashboardFilterForm(request.query_params, **filter_choices())
        if not form.is_valid():
            raise serializers.ValidationError(form_errors(form))
        for name in ("start", "end"):
            day = form.cleaned_data.get(name)
            if day is not None and not YEAR_MIN <= day.year <= YEAR_MAX:
                message = gettext_now("Give a date between the years %(min)s and %(max)s.") % {
                    "min": YEAR_MIN,
                    "max": YEAR_MAX,
                }
                raise serializers.ValidationError({name: [message]})
        filters = ResponseFilter.from_form(form, today=timezone.localdate())
        report = selectors.driver_report(filters.responses())
        return ApiResponse(DriversSerializer(drivers_data(report)).data)
