from datetime import timedelta

import factory
from django.utils import timezone

from campaigns.models import Campaign
from tests.factories import SurveyFactory


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    survey = factory.SubFactory(SurveyFactory)
    audience = factory.LazyFunction(dict)
    send_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
