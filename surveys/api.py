"""REST API for surveys: invitations in. The answers and the NPS go out through `reporting.api`."""

import logging

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response as ApiResponse

from crm.choices import AgeBand, Gender, Plan
from crm.models import Customer
from crm.segments import Tenure
from integrations.api_support import (
    ApiModelSerializer,
    JsonApiView,
)
from integrations.choices import TokenScope
from integrations.models import ApiToken
from surveys import services
from surveys.choices import Channel, ContactRefusal
from surveys.consent import ContactRefused
from surveys.filters import (
    DIMENSIONS,
    RESURVEYS_INCLUDED,
    RESURVEYS_ONLY,
)
from surveys.models import Invitation, Survey

logger = logging.getLogger(__name__)


# --- Invitations ---------------------------------------------------------------------------------


class InvitationRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    reason = serializers.ChoiceField(choices=ContactRefusal.choices)


INVITATION_REFUSED = OpenApiResponse(
    InvitationRefusedSerializer,
    description=_(
        "The customer may not be surveyed now (consent): `reason` is erased, unsubscribed, no_email, "
        "email_failed or recently_invited. Nothing was created or sent."
    ),
)


class InvitationCreateSerializer(serializers.Serializer):
    customer = serializers.CharField(max_length=100, help_text=_("The customer's external id."))
    survey = serializers.UUIDField(help_text=_("The survey's public id."))
    send = serializers.BooleanField(
        default=False, help_text=_("Also email the link to the customer, in their language.")
    )

    bypass_fatigue = serializers.BooleanField(
        default=False,
        help_text=_(
            "Invite even if the customer was invited within the contact-fatigue window. Only with a write "
            "token; the invitation records it. The other refusals (unsubscribed, erased, no or refused "
            "address when sending) always apply."
        ),
    )

    def validate_customer(self, value):
        customer = Customer.objects.filter(external_id=value).first()
        if customer is None:
            raise serializers.ValidationError(_("No customer has this external id."))
        return customer

    def validate_survey(self, value):
        survey = Survey.objects.select_related("brand").filter(public_id=value).first()
        if survey is None:
            raise serializers.ValidationError(_("No survey has this id."))
        if not survey.is_active:
            raise serializers.ValidationError(_("This survey is not active."))
        return survey


class InvitationSerializer(ApiModelSerializer):
    url = serializers.URLField(read_only=True, help_text=_("The customer's personal survey link."))
    survey = serializers.UUIDField(source="survey.public_id", read_only=True)
    customer = serializers.CharField(source="customer.external_id", read_only=True)
    sent = serializers.SerializerMethodField(help_text=_("Whether the link was emailed to the customer."))

    class Meta:
        model = Invitation
        fields = ["url", "survey", "customer", "channel", "created_at", "expires_at", "sent"]
        read_only_fields = fields

    def get_sent(self, invitation) -> bool:
        return bool(self.context.get("sent"))


class InvitationCreateView(JsonApiView):
    @extend_schema(
        operation_id="invitations_create",
        summary=_("Create a personal survey link for a customer"),
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer, 409: INVITATION_REFUSED},
        tags=["invitations"],
    )
    def post(self, request):
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        token = request.auth if isinstance(request.auth, ApiToken) else None
        bypassed_by = ""
        if data["bypass_fatigue"]:
            if token is None or token.scope != TokenScope.WRITE:
                raise exceptions.PermissionDenied(_("Only an API write token may bypass contact fatigue."))
            bypassed_by = f"API token {token.name} ({token.prefix})"
        try:
            invitation = services.invitation_create(
                survey=data["survey"],
                customer=data["customer"],
                by_email=data["send"],
                fatigue_bypassed_by=bypassed_by,
            )
        except ContactRefused as exc:
            # Nothing was created and nothing is sent: the reason says which consent rule refused.
            return ApiResponse({"detail": exc.check.message, "reason": exc.reason}, status=status.HTTP_409_CONFLICT)
        sent = services.invitation_send_now(invitation=invitation) if data["send"] else False
        body = InvitationSerializer(invitation, context={"sent": sent}).data
        return ApiResponse(body, status=status.HTTP_201_CREATED)


# --- Dashboard filters, shared by the NPS endpoints (reporting.api, insights.api) -------------


def _choice_values(choices) -> list[str]:
    return [value for value, _label in choices]


NPS_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description=_("First day; default: twelve calendar months.")),
    OpenApiParameter("end", OpenApiTypes.DATE, description=_("Last day, inclusive; default: today.")),
    OpenApiParameter("survey", OpenApiTypes.UUID, description=_("A survey's public id.")),
    OpenApiParameter("channel", str, enum=_choice_values(Channel.choices)),
    OpenApiParameter("age_band", str, enum=_choice_values(AgeBand.choices)),
    OpenApiParameter("gender", str, enum=_choice_values(Gender.choices)),
    OpenApiParameter("region", str, description=_("A region present in the customer data.")),
    OpenApiParameter("tenure", str, enum=_choice_values(Tenure.CHOICES)),
    OpenApiParameter("plan", str, enum=_choice_values(Plan.choices)),
    OpenApiParameter("category", str, description=_("A product category the customer bought.")),
    OpenApiParameter(
        "latest_only", bool, description=_("Count each customer's latest answer only (relationship NPS).")
    ),
    OpenApiParameter(
        "resurveys",
        str,
        enum=[RESURVEYS_INCLUDED, RESURVEYS_ONLY],
        description=_(
            "Recovery re-survey answers: left out by default (they measure follow-up, not the customer base); "
            "include: counted with the others; only: these answers alone."
        ),
    ),
    OpenApiParameter("grain", str, enum=["month", "week"], description=_("Trend by month (default) or week.")),
    OpenApiParameter(
        "dimension",
        str,
        description=format_lazy(
            _("Break down by (default: survey): {choices}, or attr:<key> for a declared custom attribute."),
            choices=", ".join(DIMENSIONS),
        ),
    ),
]


def form_errors(form) -> dict:
    errors = {}
    for field, messages in form.errors.items():
        errors["non_field_errors" if field == "__all__" else field] = [str(message) for message in messages]
    return errors
