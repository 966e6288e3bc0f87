import factory

from tests.factories import SurveyFactory
from triggers.models import TriggerRule


class TriggerRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TriggerRule

    survey = factory.SubFactory(SurveyFactory)
    kind = "purchase"
    delay_days = 3


def recovery_rule(survey=None, *, days=14, **kwargs) -> TriggerRule:
    """A survey's recovery re-survey, as the migration writes it (sent any time)."""
    return TriggerRuleFactory(
        survey=survey or SurveyFactory(), kind="case_resolved", delay_days=days, send_any_time=True, **kwargs
    )
