from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from crm.models import Customer, Purchase
from surveys.models import Brand, Invitation, Response, Survey


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("name",)

    name = "Maison Test"


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"Survey {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C{n:05d}")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    email = factory.LazyAttribute(lambda c: f"{c.external_id.lower()}@example.com")
    language = "en"


class PurchaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Purchase

    customer = factory.SubFactory(CustomerFactory)
    purchased_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    amount = Decimal("49.90")
    product_category = "Lighting"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    survey = factory.SubFactory(SurveyFactory)
    customer = factory.SubFactory(CustomerFactory)


class ResponseFactory(factory.django.DjangoModelFactory):
    """A stored response, written directly: for reads. Submissions go through the service."""

    class Meta:
        model = Response
        skip_postgeneration_save = True

    invitation = factory.SubFactory(InvitationFactory)
    survey = factory.LazyAttribute(lambda r: r.invitation.survey)
    customer = factory.LazyAttribute(lambda r: r.invitation.customer)
    score = 8

    @factory.post_generation
    def mark_link_answered(obj, create, extracted, **kwargs):
        # As the service does: the answered link says so (campaign counts, reminders read it).
        if create and obj.invitation_id is not None:
            Invitation.objects.filter(pk=obj.invitation_id).update(answered=True)
            obj.invitation.answered = True
