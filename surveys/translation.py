"""Survey texts customers read, in every language of the site (django-modeltranslation).

Each field below gets one column per language (question_en, question_fr…). Reading `survey.question`
gives the active language's text, else the other language's (MODELTRANSLATION_FALLBACK_LANGUAGES);
empty in both means the standard wording, translated by gettext.
"""

from modeltranslation.translator import TranslationOptions, register

from surveys.models import Survey

CUSTOMER_TEXT_FIELDS = (
    "question",
    "comment_prompt",
    "prompt_detractor",
    "prompt_passive",
    "prompt_promoter",
    "criteria_question",
    "criteria_options",
    "csat_question",
    "thanks_detractor",
    "thanks_passive",
    "thanks_promoter",
    "review_label",
    "referral_label",
    "email_subject",
    "email_body",
)


@register(Survey)
class SurveyTranslationOptions(TranslationOptions):
    fields = CUSTOMER_TEXT_FIELDS
