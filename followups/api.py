"""REST API for follow-up cases: list and read them; assign, record a contact, resolve, add a note.

Every change goes through followups.services, so it writes the same audit events as the inbox.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from followups import services
from followups.choices import ContactChannel, EventKind, Outcome, TicketKind, TicketStatus
from followups.models import Ticket, TicketEvent
from followups.selectors import overdue_q, tickets_visible_to
from integrations.api_support import (
    BAD_REQUEST,
    ApiModelSerializer,
    BooleanFilter,
    ErrorSerializer,
    JsonApiMixin,
    JsonApiView,
    LimitOffsetPagination,
    NamedChoiceField,
    actor_of,
    optional_choice,
)
from npsapp import roles
from npsapp.replicas import reads_from_replica

STALE = OpenApiResponse(ErrorSerializer, description=_("The case changed since the version given."))

# --- Bodies out ---------------------------------------------------------------------------------


class CaseSerializer(ApiModelSerializer):
    reference = serializers.CharField(read_only=True, help_text=_("The short reference shown in the inbox."))
    survey = serializers.UUIDField(source="survey.public_id", read_only=True)
    customer = serializers.SerializerMethodField(help_text=_("The customer's external id; null when anonymous."))
    response = serializers.SerializerMethodField(help_text=_("The public id of the answer that opened the case."))
    score = serializers.SerializerMethodField()
    team = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    kind = NamedChoiceField(choices=TicketKind.choices, read_only=True, enum_name="CaseKindEnum")
    status = NamedChoiceField(choices=TicketStatus.choices, read_only=True, enum_name="CaseStatusEnum")
    overdue = serializers.SerializerMethodField(help_text=_("Open, not contacted, and past its deadline."))
    contact_channel = optional_choice(
        ContactChannel.choices, enum_name="ContactChannelEnum", help_text=_("How the customer was first contacted.")
    )
    outcome = optional_choice(Outcome.choices)

    class Meta:
        model = Ticket
        fields = [
            "public_id",
            "reference",
            "kind",
            "status",
            "priority",
            "survey",
            "customer",
            "response",
            "score",
            "reason",
            "team",
            "assignee",
            "opened_at",
            "first_contact_due_at",
            "first_contacted_at",
            "breached_at",
            "overdue",
            "contact_channel",
            "resolved_at",
            "outcome",
            "closed_at",
            "clock_paused_at",
            "minutes_to_first_contact",
            "first_contact_met",
            "minutes_to_resolution",
            "resurvey_score",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_customer(self, ticket):
        if ticket.survey.is_anonymous or ticket.customer is None:
            return None
        return ticket.customer.external_id

    @extend_schema_field({"type": "string", "format": "uuid", "nullable": True})
    def get_response(self, ticket):
        return str(ticket.response.public_id) if ticket.response is not None else None

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_score(self, ticket):
        return ticket.response.score if ticket.response is not None else None

    def get_overdue(self, ticket) -> bool:
        return ticket.is_overdue(self.context.get("now"))


class CaseEventSerializer(ApiModelSerializer):
    kind = NamedChoiceField(choices=EventKind.choices, read_only=True, enum_name="CaseEventKindEnum")
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = TicketEvent
        fields = ["kind", "field", "old_value", "new_value", "body", "actor", "created_at"]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    events = CaseEventSerializer(many=True, read_only=True, help_text=_("The timeline, oldest first."))

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "events"]
        read_only_fields = fields


# --- Bodies in ----------------------------------------------------------------------------------

API_STATUSES = [
    (TicketStatus.CONTACTED.value, TicketStatus.CONTACTED.label),
    (TicketStatus.WAITING.value, TicketStatus.WAITING.label),
    (TicketStatus.RESOLVED.value, TicketStatus.RESOLVED.label),
    (TicketStatus.CLOSED.value, TicketStatus.CLOSED.label),
]


class CaseUpdateSerializer(serializers.Serializer):
    status = NamedChoiceField(
        enum_name="CaseStatusChangeEnum",
        choices=API_STATUSES,
        required=False,
        help_text=_(
            "contacted records a contact with the customer (on a resolved or closed case: reopens it); "
            "waiting (only after a first contact) pauses the clock until the customer replies; "
            "resolved needs an outcome; "
            "closed needs one unless the case is already resolved."
        ),
    )
    assignee = serializers.CharField(
        required=False, allow_null=True, max_length=150, help_text=_("An agent's username; null to unassign.")
    )
    channel = NamedChoiceField(
        enum_name="ContactChannelEnum",
        choices=ContactChannel.choices,
        required=False,
        help_text=_("With status contacted; default email."),
    )
    outcome = serializers.ChoiceField(
        choices=Outcome.choices, required=False, help_text=_("Required with resolved; with closed on an open case.")
    )
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=services.NOTE_MAX_LENGTH,
        help_text=_("What was said (contacted) or done (resolved)."),
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("The case's version you last read: the change is refused (409) if it moved on since."),
    )

    def validate_assignee(self, value):
        if value is None:
            return None
        user = get_user_model().objects.filter(username=value, is_active=True).first()
        if user is None or not roles.has_any_role(user, roles.CAN_WORK_CASES):
            raise serializers.ValidationError(_("No agent has this username."))
        return user

    def validate(self, attrs):
        status_ = attrs.get("status")
        if "status" not in attrs and "assignee" not in attrs:
            raise serializers.ValidationError(_("Give a status or an assignee to change."))
        errors = {}
        if status_ == TicketStatus.RESOLVED and not attrs.get("outcome"):
            errors["outcome"] = [_("Choose the outcome of this case.")]
        if "outcome" in attrs and status_ not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            errors["outcome"] = [_("An outcome goes with the status resolved or closed.")]
        if "channel" in attrs and status_ != TicketStatus.CONTACTED:
            errors["channel"] = [_("A channel goes with the status contacted.")]
        if "body" in attrs and status_ is None:
            errors["body"] = [_("Add a note with POST …/notes/; here a text goes with a status.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class NoteSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=services.NOTE_MAX_LENGTH)


# --- Views --------------------------------------------------------------------------------------


class CaseFilterSet(filters.FilterSet):
    status = filters.ChoiceFilter(choices=TicketStatus.choices)
    kind = filters.ChoiceFilter(choices=TicketKind.choices)
    assignee = filters.CharFilter(field_name="assignee__username", max_length=150, help_text=_("A username."))
    overdue = BooleanFilter(method="filter_overdue", help_text=_("Open, not contacted and past its deadline."))
    survey = filters.UUIDFilter(field_name="survey__public_id", help_text=_("A survey's public id."))

    class Meta:
        model = Ticket
        fields = []

    def filter_overdue(self, queryset, name, value):
        condition = overdue_q(timezone.now())
        return queryset.filter(condition) if value else queryset.filter(~Q(condition))


def _cases(request):
    """The cases the token's creator may see (selectors.tickets_visible_to): others are 404."""
    return tickets_visible_to(request.user).select_related("survey", "customer", "response", "team", "assignee")


def _with_events(cases):
    return cases.prefetch_related(
        Prefetch("events", queryset=TicketEvent.objects.select_related("actor").order_by("created_at", "id"))
    )


def _case(request, public_id: str) -> Ticket:
    return generics.get_object_or_404(_cases(request), public_id=public_id)


def _case_body(ticket: Ticket) -> dict:
    """The case as it is now, with its timeline (re-read after a change)."""
    ticket = _with_events(Ticket.objects.select_related("survey", "customer", "response", "team", "assignee")).get(
        id=ticket.id
    )
    return CaseDetailSerializer(ticket, context={"now": timezone.now()}).data


@extend_schema_view(
    get=extend_schema(
        operation_id="cases_list",
        summary=_("List follow-up cases by first-contact deadline"),
        responses={200: CaseSerializer(many=True), 400: BAD_REQUEST},
        tags=["cases"],
    )
)
class CaseListView(JsonApiMixin, generics.ListAPIView):
    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet
    pagination_class = LimitOffsetPagination

    def get_queryset(self):
        return _cases(self.request).order_by("first_contact_due_at", "id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @reads_from_replica
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class CaseDetailView(JsonApiView):
    @extend_schema(
        operation_id="cases_read",
        summary=_("Read a case with its timeline"),
        responses={200: CaseDetailSerializer},
        tags=["cases"],
    )
    def get(self, request, public_id):
        ticket = generics.get_object_or_404(_with_events(_cases(request)), public_id=public_id)
        return Response(CaseDetailSerializer(ticket, context={"now": timezone.now()}).data)

    @extend_schema(
        operation_id="cases_update",
        summary=_("Assign a case, record a contact, pause it, resolve, close or reopen it"),
        description=_("Each change writes its event in the case's timeline, as in the inbox."),
        request=CaseUpdateSerializer,
        responses={200: CaseDetailSerializer, 409: STALE},
        tags=["cases"],
    )
    def patch(self, request, public_id):
        ticket = _case(request, public_id)
        serializer = CaseUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, actor = serializer.validated_data, actor_of(request)
        status_ = data.get("status")
        try:
            # All or nothing: a refused status change does not leave the new assignee behind.
            with transaction.atomic():
                if "version" in data:
                    services.ticket_lock(ticket=ticket, expected_version=data["version"])
                if "assignee" in data:
                    services.ticket_assign(ticket=ticket, actor=actor, assignee=data["assignee"])
                if status_ == TicketStatus.CONTACTED and ticket.is_open:
                    services.ticket_mark_contacted(
                        ticket=ticket,
                        actor=actor,
                        channel=data.get("channel", ContactChannel.EMAIL),
                        body=data.get("body", ""),
                    )
                elif status_ is not None:
                    # The one lifecycle table decides, as on the case page and in the inbox.
                    services.ticket_set_status(
                        ticket=ticket,
                        actor=actor,
                        status=status_,
                        outcome=data.get("outcome", ""),
                        body=data.get("body", ""),
                    )
        except services.StaleTicket as exc:
            return Response({"detail": exc.messages[0]}, status=status.HTTP_409_CONFLICT)
        return Response(_case_body(ticket))


class CaseNoteCreateView(JsonApiView):
    @extend_schema(
        operation_id="cases_notes_create",
        summary=_("Add an internal note to a case"),
        request=NoteSerializer,
        responses={201: CaseEventSerializer},
        tags=["cases"],
    )
    def post(self, request, public_id):
        ticket = _case(request, public_id)
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.ticket_add_note(ticket=ticket, actor=actor_of(request), body=serializer.validated_data["body"])
        return Response(CaseEventSerializer(event).data, status=status.HTTP_201_CREATED)
