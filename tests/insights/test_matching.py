"""New answers are matched to accepted themes by meaning, as they arrive."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from insights import matching, services
from insights.discovery import Comment, discover
from insights.models import ThemeMatcher
from surveys import services as survey_services
from surveys.models import Response, ResponseTheme, Theme, ThemeSource
from tests.factories import InvitationFactory
from tests.insights.corpus import labelled
from tests.surveys.factories import PublicSurveyFactory


def _delivery_model():
    """The centre and IDF of the delivery comments, as a discovery run over the test corpus finds them."""
    comments = [Comment(id=i, text=text, score=3) for i, (text, _theme) in enumerate(labelled())]
    found = discover(comments, seed=0)
    rows = labelled()
    parts = [p for p in found.proposals if {rows[i][1] for i in p.member_ids} == {"delivery"}]
    centroid = {}
    for part in parts:
        for term, weight in part.centroid.items():
            centroid[term] = centroid.get(term, 0.0) + weight / len(parts)
    return centroid, {term: found.idf[term] for term in centroid}, max(found.idf.values())


DELIVERY_CENTROID, IDF, DEFAULT_IDF = _delivery_model()


@pytest.fixture(autouse=True)
def _empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def delivery(db):
    theme = Theme.objects.create(name="Delivery", keywords_en="late delivery", keywords_fr="colis en retard")
    ThemeMatcher.objects.create(
        theme=theme, centroid=DELIVERY_CENTROID, idf=IDF, default_idf=DEFAULT_IDF, threshold=0.2
    )
    return theme


def _meaning_links(theme):
    return set(
        ResponseTheme.objects.filter(theme=theme, source=ThemeSource.MEANING).values_list(
            "response__comment", flat=True
        )
    )


def _vector():
    return matching.theme_vector(
        theme_id=1,
        centroid=DELIVERY_CENTROID,
        keywords=["late delivery"],
        idf=IDF,
        default_idf=DEFAULT_IDF,
        threshold=0.2,
    )


def test_a_paraphrase_matches_and_a_denied_problem_does_not():
    vector = _vector()
    assert matching.matching_themes("Still no parcel after a week", [vector])
    assert matching.matching_themes("Colis arrivé au bout de deux semaines", [vector])
    assert matching.matching_themes("Delivery was not late at all, great!", [vector]) == []
    assert matching.matching_themes("La livraison n'était pas en retard, parfait", [vector]) == []
    assert matching.matching_themes("Great prices and friendly staff", [vector]) == []


def test_a_new_answer_on_the_survey_page_is_matched_once_committed(
    client, delivery, django_capture_on_commit_callbacks
):
    invitation = InvitationFactory()
    url = reverse("surveys:respond", args=[invitation.token])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"score": "3", "comment": "My parcel arrived a week late"})
    assert _meaning_links(delivery) == {"My parcel arrived a week late"}


def test_a_negated_answer_on_the_public_page_is_not_matched(client, delivery, django_capture_on_commit_callbacks):
    survey = PublicSurveyFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("surveys:public_feedback", args=[survey.public_id]),
            {"score": "10", "comment": "Delivery was not late at all, great!"},
        )
    assert Response.objects.filter(comment="Delivery was not late at all, great!").exists()
    assert _meaning_links(delivery) == set()


def test_a_corrected_comment_is_matched_afresh(delivery, django_capture_on_commit_callbacks):
    invitation = InvitationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = survey_services.response_submit(invitation=invitation, score=3, comment="Parcel very late")
    assert _meaning_links(delivery) == {"Parcel very late"}
    with django_capture_on_commit_callbacks(execute=True):
        survey_services.response_correct(response=response, score=9, comment="Sorry, it came on time. Lovely staff")
    assert _meaning_links(delivery) == set()


def test_matching_leaves_links_by_hand_and_ignores_inactive_themes(delivery, manager):
    invitation = InvitationFactory()
    response = survey_services.response_submit(invitation=invitation, score=3, comment="Great staff")
    survey_services.response_tag_theme(response=response, theme=delivery, actor=manager)
    services.response_match_themes(response=response)
    assert ResponseTheme.objects.get(response=response, theme=delivery).source == ThemeSource.MANUAL
    delivery.is_active = False
    delivery.save()
    late = survey_services.response_submit(invitation=InvitationFactory(), score=2, comment="Parcel late")
    assert services.response_match_themes(response=late) == 0


def test_editing_a_themes_keywords_changes_what_it_matches(delivery):
    response = survey_services.response_submit(invitation=InvitationFactory(), score=2, comment="Courier lost it")
    assert services.response_match_themes(response=response) == 0
    delivery.keywords_en = "late delivery\ncourier lost"
    delivery.save()
    assert services.response_match_themes(response=response) == 1


def test_praise_of_a_complaint_themes_subject_is_not_a_complaint():
    vector = _vector()
    assert matching.matching_themes("Delivery was great", [vector]) == []
    assert matching.matching_themes("Delivery was not great, parcel came after two weeks", [vector])
    praise_theme = matching.theme_vector(
        theme_id=2,
        centroid={"deliveri": 1.0},
        keywords=[],
        idf=IDF,
        default_idf=DEFAULT_IDF,
        threshold=0.2,
        is_complaint=False,
    )
    assert matching.matching_themes("Delivery was great", [praise_theme])
