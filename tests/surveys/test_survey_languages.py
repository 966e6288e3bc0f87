"""Every text an admin writes for customers exists in French and English; a page falls back to the
other language only where its own is empty."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from surveys import services
from surveys.invitation_email import invitation_email_send
from surveys.models import Response, Survey
from tests.factories import CustomerFactory, SurveyFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def bilingual(db):
    return SurveyFactory(
        question_en="Would you recommend Lumière?",
        question_fr="Recommanderiez-vous Lumière ?",
        prompt_detractor_en="What went wrong?",
        prompt_detractor_fr="Qu'est-ce qui n'a pas marché ?",
        criteria_question_en="What mattered most?",
        criteria_question_fr="Qu'est-ce qui a compté le plus ?",
        criteria_options_en="Delivery\nPrice",
        criteria_options_fr="Livraison\nPrix",
        csat_question_en="How satisfied are you with the delivery?",
        csat_question_fr="Êtes-vous satisfait de la livraison ?",
        thanks_promoter_en="Thanks a lot!",
        thanks_promoter_fr="Merci beaucoup !",
        review_url="https://reviews.example.com/lumiere",
        review_label_en="Review us",
        review_label_fr="Donnez votre avis",
        email_subject_en="Two questions from Lumière",
        email_subject_fr="Deux questions de Lumière",
        email_body_en="Your order arrived last week.",
        email_body_fr="Votre commande est arrivée la semaine dernière.",
    )


def _page(client, survey, language, **query):
    invitation = services.invitation_create(survey=survey, customer=CustomerFactory(language=language))
    url = reverse("surveys:respond", args=[invitation.token])
    return invitation, client.get(url, query).content.decode()


def test_the_french_page_asks_everything_in_french(client, bilingual):
    _invitation, html = _page(client, bilingual, "fr", score=2)
    for text in (
        "Recommanderiez-vous Lumière ?",
        "Qu&#x27;est-ce qui a compté le plus ?",
        "Livraison",
        "Prix",
        "Êtes-vous satisfait de la livraison ?",
        # The preselected score's question, rendered by the server (no JavaScript needed).
        ">Qu&#x27;est-ce qui n&#x27;a pas marché ?</label>",
    ):
        assert text in html
    for english in ("Would you recommend", "What mattered most?", ">Delivery<", "How satisfied", "What went wrong?"):
        assert english not in html


def test_the_english_page_asks_in_english(client, bilingual):
    _invitation, html = _page(client, bilingual, "en", score=2)
    assert "What mattered most?" in html and ">Delivery</label>" in html and ">What went wrong?</label>" in html
    assert "Livraison" not in html


def test_an_empty_french_text_falls_back_to_english_and_two_empty_ones_to_the_standard_french(client, bilingual):
    Survey.objects.filter(pk=bilingual.pk).update(csat_question_fr="", prompt_detractor_en="", prompt_detractor_fr="")
    _invitation, html = _page(client, bilingual, "fr", score=1)
    assert "How satisfied are you with the delivery?" in html
    assert ">Que pourrions-nous améliorer ?</label>" in html


@pytest.mark.parametrize(("score", "prompt"), [(2, "What could we improve?"), (8, "What would earn one more point?")])
def test_a_score_preselected_from_the_email_shows_its_segments_question_without_javascript(db, client, score, prompt):
    _invitation, html = _page(client, SurveyFactory(), "en", score=score)
    assert f">{prompt}</label>" in html
    _invitation, html = _page(client, SurveyFactory(), "en")
    assert ">What is the main reason for your score?</label>" in html
    public = SurveyFactory(public_form_enabled=True)
    html = client.get(reverse("surveys:public_feedback", args=[public.public_id]), {"score": score}).content.decode()
    assert f">{prompt}</label>" in html


def test_a_french_answer_stores_the_option_every_language_shares(client, bilingual):
    invitation, _html = _page(client, bilingual, "fr")
    url = reverse("surveys:respond", args=[invitation.token])
    client.post(url, {"score": 9, "criteria": "Price", "csat": 5, "lang": "fr"})
    assert Response.objects.get().criteria == ["Price"]
    thanks = client.get(reverse("surveys:thanks", args=[invitation.token])).content.decode()
    assert "Merci beaucoup !" in thanks and "Donnez votre avis" in thanks


def test_the_invitation_email_is_written_in_the_customers_language(bilingual):
    for language, subject, text in (
        ("fr", "Deux questions de Lumière", "Votre commande est arrivée"),
        ("en", "Two questions from Lumière", "Your order arrived"),
    ):
        invitation = services.invitation_create(survey=bilingual, customer=CustomerFactory(language=language))
        invitation_email_send(invitation=invitation)
        message = mail.outbox[-1]
        assert message.subject == subject
        assert text in message.body and text in message.alternatives[0][0]


def test_options_must_match_line_for_line_across_languages(bilingual):
    bilingual.criteria_options_fr = "Livraison\nPrix\nService"
    with pytest.raises(ValidationError) as error:
        bilingual.full_clean()
    assert "criteria_options_fr" in error.value.message_dict


def test_the_admin_names_the_texts_a_language_lacks(client, admin_user, bilingual):
    Survey.objects.filter(pk=bilingual.pk).update(thanks_promoter_fr="")
    client.force_login(admin_user)
    html = client.get(reverse("admin:surveys_survey_change", args=[bilingual.pk])).content.decode()
    assert "French: thank-you text for promoters." in html
    assert 'name="question_fr"' in html and 'name="question_en"' in html
    listing = client.get(reverse("admin:surveys_survey_changelist")).content.decode()
    assert "French: thank-you text for promoters." in listing


@pytest.mark.slow
def test_the_migration_keeps_existing_texts_as_the_site_languages_version(transactional_db):
    executor = MigrationExecutor(connection)
    # The migration before this one, found by name, whatever numbers merging gives them.
    (ours,) = [
        key for key in executor.loader.graph.nodes if key[0] == "surveys" and key[1].endswith("_in_each_language")
    ]
    before = [parent for parent in executor.loader.graph.node_map[ours].parents if parent.key[0] == "surveys"]
    target = [before[0].key]
    executor.migrate(target)
    old_apps = executor.loader.project_state(target).apps
    brand = old_apps.get_model("surveys", "Brand").objects.create(name="Old brand")
    old_apps.get_model("surveys", "Survey").objects.create(
        brand=brand, name="Old", question="Old question?", csat_question="Old satisfaction?"
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    survey = Survey.objects.get(name="Old")
    assert (survey.question_en, survey.csat_question_en) == ("Old question?", "Old satisfaction?")
    assert not survey.question_fr
