"""REST API for the CRM: customers (by external id), their purchases and behaviour events.

Every write goes through crm.services (customers, activity), which checks each value and
answers field messages; the serializers here describe the bodies for the schema and shape the answers.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from crm.choices import AgeBand, Area, EventKind, Gender, Plan
from crm.models import Customer, CustomerEvent, Purchase
from crm.services import activity, customers
from integrations.api_support import (
    ApiModelSerializer,
    JsonApiView,
    NamedChoiceField,
    actor_of,
    optional_choice,
    path_text,
)

MAX_BULK_ITEMS = 1000
EXTERNAL_ID_MAX_LENGTH = Customer._meta.get_field("external_id").max_length


# --- Bodies in ----------------------------------------------------------------------------------


class CustomerWriteSerializer(serializers.Serializer):
    """A customer's data. A field left out is left as it is; a field given blank (or null) is emptied."""

    external_id = serializers.CharField(max_length=100, help_text=_("The id in the system the customer comes from."))
    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, allow_null=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False, allow_blank=True, allow_null=True)
    customer_since = serializers.DateField(required=False, allow_null=True)
    newsletter_subscribed = serializers.BooleanField(required=False)
    birth_year = serializers.IntegerField(min_value=1900, required=False, allow_null=True)
    age_band = serializers.ChoiceField(choices=AgeBand.choices, required=False, allow_blank=True, allow_null=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True, allow_null=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    area = serializers.ChoiceField(choices=Area.choices, required=False, allow_blank=True, allow_null=True)
    plan = serializers.ChoiceField(choices=Plan.choices, required=False, allow_blank=True, allow_null=True)
    account_owner = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text=_("The username of a staff member.")
    )
    custom_attributes = serializers.DictField(
        required=False,
        allow_null=True,
        help_text=_("Declared attributes, key → value; a key given null or blank is removed, others are kept."),
    )


class CustomerUpsertSerializer(CustomerWriteSerializer):
    external_id = serializers.CharField(
        max_length=100, required=False, help_text=_("If given, it must be the one in the address.")
    )


class PurchaseWriteSerializer(serializers.Serializer):
    purchased_at = serializers.DateTimeField(help_text=_("With its UTC offset, not in the future."))
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text=_("Greater than zero."))
    currency = serializers.CharField(max_length=3, required=False, help_text=_("3-letter code; default EUR."))
    product_category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    channel = serializers.CharField(max_length=30, required=False, allow_blank=True)


class BulkPurchaseWriteSerializer(PurchaseWriteSerializer):
    customer_external_id = serializers.CharField(max_length=100)


class CustomerEventWriteSerializer(serializers.Serializer):
    kind = NamedChoiceField(choices=EventKind.choices, enum_name="CustomerEventKindEnum")
    occurred_at = serializers.DateTimeField(help_text=_("With its UTC offset, not in the future."))
    details = serializers.DictField(required=False, allow_null=True)


class BulkCustomerEventWriteSerializer(CustomerEventWriteSerializer):
    customer_external_id = serializers.CharField(max_length=100)


def _object(data) -> dict:
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    return data


def _items(data) -> list[dict]:
    """A JSON list of at most MAX_BULK_ITEMS objects, or a 400 saying what is wrong with it."""
    if not isinstance(data, list):
        raise serializers.ValidationError({"non_field_errors": [_("Send a JSON list of objects.")]})
    if not data:
        raise serializers.ValidationError({"non_field_errors": [_("The list is empty.")]})
    if len(data) > MAX_BULK_ITEMS:
        message = _("Send at most %(max)d items at a time (this list has %(count)d).") % {
            "max": MAX_BULK_ITEMS,
            "count": len(data),
        }
        raise serializers.ValidationError({"non_field_errors": [message]})
    not_objects = {
        str(index): [_("Expected a JSON object.")] for index, item in enumerate(data) if not isinstance(item, dict)
    }
    if not_objects:
        raise serializers.ValidationError(not_objects)
    return data


# --- Bodies out ---------------------------------------------------------------------------------


class CustomerSerializer(ApiModelSerializer):
    # Text, not an email field: an unknown address is "", which is not a valid "email" format.
    email = serializers.CharField(read_only=True, help_text=_("Empty when unknown."))
    language = optional_choice(settings.LANGUAGES)
    age_band = optional_choice(AgeBand.choices)
    gender = optional_choice(Gender.choices)
    area = optional_choice(Area.choices)
    plan = optional_choice(Plan.choices)
    account_owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "public_id",
            "external_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "language",
            "customer_since",
            "newsletter_subscribed",
            "birth_year",
            "age_band",
            "gender",
            "city",
            "region",
            "area",
            "plan",
            "account_owner",
            "custom_attributes",
            "erased_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(source="position", help_text=_("0-based position in the list sent."))
    external_id = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text=_("Messages by field.")
    )


class UpsertReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    invalid = serializers.IntegerField()
    errors = RowErrorSerializer(many=True, help_text=_("The refused items; all the others were written."))


class PurchaseSerializer(ApiModelSerializer):
    customer = serializers.CharField(source="customer.external_id", read_only=True)

    class Meta:
        model = Purchase
        fields = ["customer", "purchased_at", "amount", "currency", "product_category", "channel"]
        read_only_fields = fields


class CustomerEventSerializer(ApiModelSerializer):
    customer = serializers.CharField(source="customer.external_id", read_only=True)
    kind = NamedChoiceField(choices=EventKind.choices, read_only=True, enum_name="CustomerEventKindEnum")

    class Meta:
        model = CustomerEvent
        fields = ["customer", "kind", "occurred_at", "details"]
        read_only_fields = fields


class CreatedCountSerializer(serializers.Serializer):
    created = serializers.IntegerField()


# --- Views --------------------------------------------------------------------------------------


def customer_or_404(external_id: str) -> Customer:
    external_id = path_text(external_id, max_length=EXTERNAL_ID_MAX_LENGTH)
    return get_object_or_404(Customer.objects.select_related("account_owner"), external_id=external_id)


def customer_body(customer: Customer) -> dict:
    return CustomerSerializer(Customer.objects.select_related("account_owner").get(pk=customer.pk)).data


class CustomerCreateView(JsonApiView):
    @extend_schema(
        operation_id="customers_create",
        summary=_("Create a customer"),
        description=_("Refused (400) when a customer with this external id exists: use PUT to update it."),
        request=CustomerWriteSerializer,
        responses={201: CustomerSerializer},
        tags=["customers"],
    )
    def post(self, request):
        data = _object(request.data)
        external_id = data.get("external_id")
        if isinstance(external_id, str) and Customer.objects.filter(external_id=external_id.strip()).exists():
            message = _("A customer with this external id already exists: update it with PUT /customers/<id>/.")
            raise serializers.ValidationError({"external_id": [message]})
        customer, _status = customers.customer_upsert(data=data, actor=actor_of(request))
        return Response(customer_body(customer), status=status.HTTP_201_CREATED)


class CustomerDetailView(JsonApiView):
    @extend_schema(
        operation_id="customers_read",
        summary=_("Read a customer"),
        responses={200: CustomerSerializer},
        tags=["customers"],
    )
    def get(self, request, external_id):
        return Response(CustomerSerializer(customer_or_404(external_id)).data)

    @extend_schema(
        operation_id="customers_upsert",
        summary=_("Create or update a customer by external id"),
        description=_("Fields left out are kept; fields given blank are emptied. 201 when created, else 200."),
        request=CustomerUpsertSerializer,
        responses={200: CustomerSerializer, 201: CustomerSerializer},
        tags=["customers"],
    )
    def put(self, request, external_id):
        external_id = path_text(external_id, max_length=EXTERNAL_ID_MAX_LENGTH)
        data = dict(_object(request.data))
        if data.setdefault("external_id", external_id) != external_id:
            raise serializers.ValidationError(
                {"external_id": [_("This is not the external id in the address: change it there, not here.")]}
            )
        customer, outcome = customers.customer_upsert(data=data, actor=actor_of(request))
        code = status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
        return Response(customer_body(customer), status=code)


class CustomerBulkView(JsonApiView):
    @extend_schema(
        operation_id="customers_bulk_upsert",
        summary=_("Create or update up to 1,000 customers"),
        description=_("Valid items are written, refused ones are reported by index: send them again once fixed."),
        request=CustomerWriteSerializer(many=True),
        responses={200: UpsertReportSerializer},
        tags=["customers"],
    )
    def post(self, request):
        report = customers.customers_upsert_many(rows=_items(request.data), actor=actor_of(request))
        body = {**report.counts(), "errors": report.errors}
        return Response(UpsertReportSerializer(body).data)


class CustomerPurchaseCreateView(JsonApiView):
    @extend_schema(
        operation_id="customers_purchases_create",
        summary=_("Record a purchase"),
        request=PurchaseWriteSerializer,
        responses={201: PurchaseSerializer},
        tags=["purchases"],
    )
    def post(self, request, external_id):
        purchase = activity.purchase_create(customer=customer_or_404(external_id), data=_object(request.data))
        return Response(PurchaseSerializer(purchase).data, status=status.HTTP_201_CREATED)


class CustomerEventCreateView(JsonApiView):
    @extend_schema(
        operation_id="customers_events_create",
        summary=_("Record a behaviour event"),
        request=CustomerEventWriteSerializer,
        responses={201: CustomerEventSerializer},
        tags=["events"],
    )
    def post(self, request, external_id):
        event = activity.customer_event_create(customer=customer_or_404(external_id), data=_object(request.data))
        return Response(CustomerEventSerializer(event).data, status=status.HTTP_201_CREATED)


class PurchaseBulkView(JsonApiView):
    @extend_schema(
        operation_id="purchases_bulk_create",
        summary=_("Record up to 1,000 purchases, all or none"),
        description=_("If any item is refused nothing is written, and the 400 lists the refused items by index."),
        request=BulkPurchaseWriteSerializer(many=True),
        responses={201: CreatedCountSerializer},
        tags=["purchases"],
    )
    def post(self, request):
        created = activity.purchases_create_many(rows=_items(request.data))
        return Response({"created": len(created)}, status=status.HTTP_201_CREATED)


class CustomerEventBulkView(JsonApiView):
    @extend_schema(
        operation_id="events_bulk_create",
        summary=_("Record up to 1,000 behaviour events, all or none"),
        description=_("If any item is refused nothing is written, and the 400 lists the refused items by index."),
        request=BulkCustomerEventWriteSerializer(many=True),
        responses={201: CreatedCountSerializer},
        tags=["events"],
    )
    def post(self, request):
        created = activity.customer_events_create_many(rows=_items(request.data))
        return Response({"created": len(created)}, status=status.HTTP_201_CREATED)
