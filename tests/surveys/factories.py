"""Factories for the respondent pages' tests (public feedback surveys, answered links)."""

import factory

from tests.factories import SurveyFactory


class PublicSurveyFactory(SurveyFactory):
    public_form_enabled = True
    name = factory.Sequence(lambda n: f"Website feedback {n}")
