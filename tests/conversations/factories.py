import factory

from conversations.models import ReplyTemplate
from followups import services as followup_services
from surveys.models import Theme
from tests.factories import CustomerFactory, InvitationFactory, ResponseFactory


def case_for(*, score: int = 3, comment: str = "The parcel arrived broken", survey=None, **customer_fields):
    """A detractor case opened the normal way, for a customer built from `customer_fields`."""
    customer = CustomerFactory(**customer_fields)
    invitation_kwargs = {"customer": customer}
    if survey is not None:
        invitation_kwargs["survey"] = survey
    response = ResponseFactory(invitation=InvitationFactory(**invitation_kwargs), score=score, comment=comment)
    return followup_services.ticket_open_for_response(response=response)


class ReplyTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReplyTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    segment = "detractor"
    language = "en"
    subject = "About {brand}"
    body = "Hello {first_name}, you gave {score} and said: {comment}"


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("name",)

    name = "Delivery"
    name_fr = "Livraison"
