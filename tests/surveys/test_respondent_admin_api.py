import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from integrations.choices import TokenScope
from integrations.services import api_token_create
from surveys import branding, services
from surveys.models import Brand, validate_criteria_options
from tests.factories import BrandFactory, SurveyFactory

# --- Readable text on the brand colour (pure) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("background", "ink"),
    [("#ffffff", "#000000"), ("#000000", "#ffffff"), ("#ffd500", "#000000"), ("#6a1a21", "#ffffff")],
)
def test_the_text_colour_reads_on_the_brand_colour(background, ink):
    assert branding.readable_ink(background) == ink


@pytest.mark.parametrize("background", ["#0d6efd", "#777777", "#ff0000", "#00ff00", "#808080", "#3a7bd5"])
def test_the_chosen_text_colour_always_passes_aa(background):
    assert branding.contrast_ratio(background, branding.readable_ink(background)) >= 4.5


def test_contrast_ratio_matches_wcag():
    assert branding.contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert branding.contrast_ratio("#595f66", "#ffffff") == pytest.approx(6.4, abs=0.3)


# --- Survey settings validation -------------------------------------------------------------------------


def test_at_most_six_criteria_options_blank_lines_ignored():
    validate_criteria_options("Delivery\n\nProduct\n  \nPrice\nService\nWebsite\nStore\n")
    with pytest.raises(ValidationError, match="at most 6"):
        validate_criteria_options("a\nb\nc\nd\ne\nf\ng")


def test_a_criteria_option_has_a_length_limit():
    with pytest.raises(ValidationError):
        validate_criteria_options("x" * 101)


@pytest.mark.parametrize("colour", ["blue", "#12345", "#1234567", "#ggg000", "0d6efd"])
def test_a_brand_colour_must_be_hex(db, colour):
    with pytest.raises(ValidationError) as exc:
        Brand(name="Acme", colour=colour).full_clean()
    assert "colour" in exc.value.message_dict


def test_the_survey_admin_refuses_seven_criteria(client, admin_user):
    survey = SurveyFactory()
    client.force_login(admin_user)
    url = reverse("admin:surveys_survey_change", args=[survey.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for heading in ("Questions", "Thank-you page", "Distribution", "Follow-up"):
        assert f">{heading}</h2>" in html
    data = {
        "name": survey.name,
        "brand": survey.brand_id,
        "is_active": "on",
        "first_contact_hours": 48,
        # One field per language (django-modeltranslation).
        "criteria_question_en": "What mattered?",
        "criteria_options_en": "a\nb\nc\nd\ne\nf\ng",
        "link_valid_days": 30,
        "reminder_after_days": 3,
        "sla_clock": "elapsed",
        "first_contact_days": 2,
        "warning_lead_hours": 4,
        "resurvey_after_days": 14,
    }
    reply = client.post(url, data)
    assert reply.status_code == 200
    assert "Give at most 6 options" in reply.content.decode()
    data["criteria_options_en"] = "a\nb\nc"
    assert client.post(url, data).status_code == 302
    survey.refresh_from_db()
    assert survey.criteria_choices == ["a", "b", "c"]


def test_the_brand_admin_refuses_a_colour_that_is_not_hex(client, admin_user):
    brand = BrandFactory()
    client.force_login(admin_user)
    url = reverse("admin:surveys_brand_change", args=[brand.pk])
    reply = client.post(url, {"name": brand.name, "colour": "red"})
    assert reply.status_code == 200
    assert "six hexadecimal digits" in reply.content.decode()


def test_the_response_admin_shows_earlier_answers(client, admin_user, invitation):
    response = services.response_submit(invitation=invitation, score=2, comment="First words")
    services.response_correct(response=response, score=8, comment="Second words")
    client.force_login(admin_user)
    html = client.get(reverse("admin:surveys_response_change", args=[response.pk])).content.decode()
    assert "First words" in html and "Second words" in html


# --- REST API ---------------------------------------------------------------------------------------------


def test_the_api_shows_criteria_satisfaction_and_correction(admin_user, invitation):
    survey = invitation.survey
    survey.criteria_question = "What mattered?"
    survey.criteria_options = "Delivery\nPrice"
    survey.csat_question = "Satisfied?"
    survey.save()
    response = services.response_submit(invitation=invitation, score=2, criteria=["Price"], csat=1)
    response = services.response_correct(response=response, score=6, criteria=["Delivery"], csat=3)
    api = APIClient()
    key = api_token_create(name="BI", scope=TokenScope.READ, created_by=admin_user)[1]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = api.get(reverse("api:responses")).json()
    row = body["results"][0] if "results" in body else body[0]
    assert (row["score"], row["criteria"], row["csat"]) == (6, ["Delivery"], 3)
    assert row["corrected_at"] is not None


def test_a_business_clock_needs_a_calendar(db):
    survey = SurveyFactory(sla_clock="business_days")
    with pytest.raises(ValidationError) as error:
        survey.full_clean()
    assert "business_calendar" in error.value.message_dict


def test_a_criteria_question_needs_options(db):
    survey = SurveyFactory(criteria_question="What mattered most?", criteria_options="  \n")
    with pytest.raises(ValidationError) as error:
        survey.full_clean()
    assert "criteria_options" in error.value.message_dict
