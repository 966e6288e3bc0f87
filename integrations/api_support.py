"""What every REST API view shares: JSON only, the error shapes in the schema, bounded pagination.

The views live in each app's api.py; the token authentication, scope permission, throttle
and exception handler are configured in settings.
"""

from datetime import UTC, datetime, timedelta

from django import forms
from django.db import models
from django.http import Http404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields
from django_filters import filters
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, pagination, parsers, renderers, serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
    throttle_classes,
)
from rest_framework.views import APIView

# Datetimes outside these years are refused: they are typing mistakes, and near the ends of
# Python's range a time-zone conversion overflows.
YEAR_MIN, YEAR_MAX = 1900, 2200
# Real UTC offsets run from -12:00 to +14:00. Python parses anything under 24 hours, which
# PostgreSQL then refuses in the query (a 500): the API refuses it first, as writes do.
MAX_UTC_OFFSET = timedelta(hours=14)


def _offset_possible(value: datetime) -> bool:
    offset = value.utcoffset()
    return offset is None or abs(offset) <= MAX_UTC_OFFSET


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=_(
        "Invalid input. Each key is a field (or `non_field_errors`) with a list of messages; "
        "for a list of items, each key is the index of an item that was refused."
    ),
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=_("No such object."))
_ALWAYS = {
    "401": OpenApiResponse(ErrorSerializer, description=_("No token, a malformed header, or a revoked token.")),
    "403": OpenApiResponse(ErrorSerializer, description=_("A read-only token cannot change anything.")),
    "429": OpenApiResponse(ErrorSerializer, description=_("Too many requests with this token: wait and retry.")),
}


class ApiSchema(AutoSchema):
    """Documents the errors every operation can answer: 401, 403 and 429; 400 for a body, 404 for a path id."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        extra = dict(_ALWAYS)
        if self.method in ("POST", "PUT", "PATCH"):
            extra["400"] = BAD_REQUEST
        if "{" in self.path:
            extra["404"] = NOT_FOUND
        for code, response in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses


class JsonParser(parsers.JSONParser):
    """JSON, refusing text no database column can hold: NUL characters and unpaired surrogates."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(_("JSON parse error: nested too deeply.")) from exc
        pending = [data]
        while pending:
            value = pending.pop()
            if isinstance(value, dict):
                pending.extend(value.keys())
                pending.extend(value.values())
            elif isinstance(value, list):
                pending.extend(value)
            elif isinstance(value, str) and not _storable(value):
                raise exceptions.ParseError(
                    _("JSON parse error: remove the NUL characters and unpaired surrogates (\\u0000, \\ud800…).")
                )
        return data


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# JSON in, JSON out: no form-encoded bodies and no browsable HTML API (the docs page is /api/docs/).
# (A comment, not a docstring: the schema would show a docstring as every operation's description.)
class JsonApiMixin:
    parser_classes = [JsonParser]
    renderer_classes = [renderers.JSONRenderer]
    schema = ApiSchema()


class JsonApiView(JsonApiMixin, APIView):
    pass


def actor_of(request):
    """Who a change is attributed to: the signed-in user, or the creator of the token used."""
    user = request.user
    return user if user is not None and user.is_authenticated else None


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit` and `offset`, bounded so that no value reaches the database as an overflow."""

    default_limit = 100
    max_limit = 1000
    max_offset = 10**9

    def get_offset(self, request):
        return min(super().get_offset(request), self.max_offset)


class CursorPagination(pagination.CursorPagination):
    """Stable pages over a growing table: `next` and `previous` links carry an opaque cursor."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # The position is compared with a datetime column: a forged one must not reach the query.
        if cursor is not None and cursor.position is not None and parse_bounded_datetime(cursor.position) is None:
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor


def parse_bounded_datetime(value: str) -> datetime | None:
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None or not YEAR_MIN <= parsed.year <= YEAR_MAX or not _offset_possible(parsed):
        return None
    return parsed


class UtcDateTimeField(serializers.DateTimeField):
    """Times are given in UTC ("…Z"): one offset for every client, and none of the odd historical
    offsets of a local zone (Paris before 1911 was +00:09:21, which RFC 3339 cannot write)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(*args, **kwargs)


class ApiModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcDateTimeField,
    }


def optional_choice(choices, **kwargs) -> serializers.ChoiceField:
    """A read-only choice that may be unset (""). Declared, not derived: a derived read-only
    field loses `allow_blank`, and the schema would then refuse the ""."""
    field_class = NamedChoiceField if "enum_name" in kwargs else serializers.ChoiceField
    return field_class(choices=choices, allow_blank=True, read_only=True, **kwargs)


class NamedChoiceField(serializers.ChoiceField):
    """A choice whose values are the schema component `enum_name`.

    drf-spectacular names enums after the field ("KindEnum"); cases, case events and customer
    events each have a `kind` with different values, so without a name of their own they collide.
    """

    def __init__(self, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(**kwargs)


class NamedChoiceFieldSchema(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        description = "\n".join(f"* `{value}` - {label}" for value, label in field.choices.items())
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={"type": "string", "enum": list(field.choices), "description": description},
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank:
            return {"oneOf": [component.ref, {"type": "string", "enum": [""]}]}
        return component.ref


class _BoundedIsoDateTimeField(filter_fields.IsoDateTimeField):
    def to_python(self, value):
        result = super().to_python(value)
        if result is not None and not YEAR_MIN <= result.year <= YEAR_MAX:
            raise forms.ValidationError(
                _("Give a date between the years %(min)s and %(max)s."),
                code="out_of_range",
                params={"min": YEAR_MIN, "max": YEAR_MAX},
            )
        if result is not None and not _offset_possible(result):
            raise forms.ValidationError(_("A UTC offset is at most 14 hours."), code="invalid_offset")
        return result


class DateTimeFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 date and time in a query string, between the years YEAR_MIN and YEAR_MAX."""

    field_class = _BoundedIsoDateTimeField


class _StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error, not "no filter"."""

    widget = forms.TextInput  # the default select widget reads any unknown value as "no filter"

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError(_("Enter true or false."), code="invalid")

    def validate(self, value):
        pass


class BooleanFilter(filters.BooleanFilter):
    field_class = _StrictBooleanField


def path_text(value: str, *, max_length: int) -> str:
    """A free-text id from the URL (an external id), or 404 when no row could have it."""
    if not value or len(value) > max_length or "\x00" in value:
        raise Http404
    return value


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
@throttle_classes([])
@renderer_classes([renderers.JSONRenderer])
def not_found(request, *args, **kwargs):
    """Any other address under the API: a JSON 404, never the HTML page."""
    raise exceptions.NotFound
