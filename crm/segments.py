"""Customer segmentation: the bands, custom attribute segments and filters every app narrows customers by.

The dashboard's filters (surveys/filters.py) and a campaign's audience (campaigns) read the
same customer filters: `CustomerFilterForm`, with the open-ended choices of `filter_choices()`.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.db.models import Case, CharField, Q, TextField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from crm.choices import AgeBand, AttributeType, Gender, Plan
from crm.models import CustomAttribute, Customer, Purchase
from npsapp.generations import Generation


class Tenure:
    """Customer tenure bands, from `Customer.customer_since`."""

    UNDER_1 = "lt1"
    FROM_1_TO_3 = "1to3"
    OVER_3 = "3plus"
    UNKNOWN = "unknown"
    CHOICES = [
        (UNDER_1, _("Under 1 year")),
        (FROM_1_TO_3, _("1 to 3 years")),
        (OVER_3, _("Over 3 years")),
        (UNKNOWN, _("Unknown")),
    ]

    @staticmethod
    def _limits(today: date) -> tuple[date, date]:
        return today - timedelta(days=365), today - timedelta(days=3 * 365)

    @classmethod
    def q(cls, band: str, today: date, prefix: str = "customer__") -> Q:
        one_year, three_years = cls._limits(today)
        field = f"{prefix}customer_since"
        return {
            cls.UNDER_1: Q(**{f"{field}__gt": one_year}),
            cls.FROM_1_TO_3: Q(**{f"{field}__gt": three_years, f"{field}__lte": one_year}),
            cls.OVER_3: Q(**{f"{field}__lte": three_years}),
            cls.UNKNOWN: Q(**{f"{field}__isnull": True}),
        }[band]

    @classmethod
    def expression(cls, today: date, prefix: str = "customer__") -> Case:
        return Case(
            *(When(cls.q(band, today, prefix), then=Value(band)) for band, _label in cls.CHOICES),
            output_field=CharField(),
        )


# Custom attributes (declared by an admin, stored in Customer.custom_attributes) that can be
# segments: a filter `attr_<key>=<value>` and a breakdown dimension `attr:<key>`. Numbers and
# dates are left out: one group per distinct value is not a segment.
SEGMENT_ATTRIBUTE_TYPES = (AttributeType.CHOICE, AttributeType.TEXT)
ATTRIBUTE_FIELD_PREFIX = "attr_"
ATTRIBUTE_DIMENSION_PREFIX = "attr:"


def attribute_key(dimension: str) -> str | None:
    """The custom attribute key of a breakdown dimension `attr:<key>`, else None."""
    if dimension.startswith(ATTRIBUTE_DIMENSION_PREFIX):
        return dimension[len(ATTRIBUTE_DIMENSION_PREFIX) :] or None
    return None


def attribute_value(key: str, prefix: str = "customer__") -> Cast:
    """A custom attribute's value as text (NULL when unset), the same on SQLite and PostgreSQL.

    An explicit key transform, not a `custom_attributes__<key>` lookup, so that a key named
    like a lookup ("contains", "in") is still read as a key.
    """
    return Cast(KeyTextTransform(key, f"{prefix}custom_attributes"), output_field=TextField())


def with_blank(choices) -> list:
    """`choices` with an "All" choice first (an empty value: no filter)."""
    return [("", _("All"))] + list(choices)


class CustomerFilterForm(forms.Form):
    """The customer (CRM) filters, and one filter per segment attribute: the dashboard's and a campaign audience's."""

    age_band = forms.ChoiceField(label=_("Age band"), choices=with_blank(AgeBand.choices), required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=with_blank(Gender.choices), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    tenure = forms.ChoiceField(label=_("Customer for"), choices=with_blank(Tenure.CHOICES), required=False)
    plan = forms.ChoiceField(label=_("Plan"), choices=with_blank(Plan.choices), required=False)
    category = forms.ChoiceField(label=_("Product category bought"), required=False)

    def __init__(self, *args, regions=(), categories=(), attributes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = with_blank((r, r) for r in regions)
        self.fields["category"].choices = with_blank((c, c) for c in categories)
        self.attribute_keys = []
        for attribute in attributes:
            if attribute.type not in SEGMENT_ATTRIBUTE_TYPES:
                continue
            name = f"{ATTRIBUTE_FIELD_PREFIX}{attribute.key}"
            if attribute.type == AttributeType.CHOICE:
                self.fields[name] = forms.ChoiceField(
                    label=attribute.label, choices=with_blank((c, c) for c in attribute.choice_list), required=False
                )
            else:
                self.fields[name] = forms.CharField(label=attribute.label, max_length=200, required=False)
            self.attribute_keys.append(attribute.key)

    @property
    def attribute_fields(self) -> list:
        """The bound filter fields of the custom attributes, for the template."""
        return [self[f"{ATTRIBUTE_FIELD_PREFIX}{key}"] for key in self.attribute_keys]


# The open-ended choices are read on every dashboard, panel, export and NPS API call, and the
# DISTINCTs over all customers and purchases cost tens of milliseconds on a large base: they are
# kept in the shared cache, under a generation every write to them bumps (npsapp/generations.py).
# A bump lost while the cache was down leaves them stale for CHOICES_TIMEOUT at most.
SEGMENTS = Generation("crm-segments")
CHOICES_KEY = "crm:filter-choices"
CHOICES_TIMEOUT = 10 * 60


def segments_changed() -> None:
    """Customers, purchases or custom attributes were written: the filter choices are read again.

    Saves and deletes call it through signals (connect()); writes that bypass them (bulk
    upserts, COPY) call it themselves.
    """
    SEGMENTS.bump()


def _filter_choices_read() -> dict:
    regions = Customer.objects.exclude(region="").order_by("region").values_list("region", flat=True).distinct()
    categories = (
        Purchase.objects.exclude(product_category="")
        .order_by("product_category")
        .values_list("product_category", flat=True)
        .distinct()
    )
    attributes = CustomAttribute.objects.filter(type__in=SEGMENT_ATTRIBUTE_TYPES).order_by("label", "key")
    return {"regions": list(regions), "categories": list(categories), "attributes": list(attributes)}


def filter_choices() -> dict:
    """The open-ended choices: regions and product categories in the data, declared custom attributes.

    No query while nothing they read was written since (one cache round trip); else three.
    """
    return SEGMENTS.cached(CHOICES_KEY, _filter_choices_read, timeout=CHOICES_TIMEOUT)


def _writes(field: str):
    def receiver(sender, created: bool = False, update_fields=None, raw: bool = False, **kwargs) -> None:
        # A save that names its fields and leaves this one out changes no choice.
        if created or update_fields is None or field in update_fields:
            segments_changed()

    return receiver


_customer_saved = _writes("region")
_purchase_saved = _writes("product_category")


def _attribute_saved(sender, **kwargs) -> None:
    segments_changed()


def _deleted(sender, **kwargs) -> None:
    segments_changed()


def connect() -> None:
    """Hear of every save and delete of the rows the choices are read from (CrmConfig.ready)."""
    post_save.connect(_customer_saved, sender=Customer, dispatch_uid="crm-segments-customer-saved")
    post_save.connect(_purchase_saved, sender=Purchase, dispatch_uid="crm-segments-purchase-saved")
    post_save.connect(_attribute_saved, sender=CustomAttribute, dispatch_uid="crm-segments-attribute-saved")
    for model in (Customer, Purchase, CustomAttribute):
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"crm-segments-{model._meta.model_name}-deleted")
