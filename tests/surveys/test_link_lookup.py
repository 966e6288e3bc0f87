"""The personal link's lookup: one query, the survey kept per process and checked, few queries per answer."""

import re

import pytest
from django.db.models import Model
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys import selectors
from surveys.models import Invitation
from tests.factories import InvitationFactory, ResponseFactory


def _values(instance: Model) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@pytest.mark.parametrize("answered", [False, True])
def test_the_compiled_lookup_reads_what_the_orm_reads(db, answered, django_assert_num_queries):
    invitation = ResponseFactory(score=3, comment="Late", criteria=["Delivery"]).invitation if answered else None
    invitation = invitation or InvitationFactory(language="fr", opened_at=timezone.now())
    InvitationFactory(survey=invitation.survey)  # another link of the same survey is not read
    expected = Invitation.objects.select_related("survey__brand", "customer", "response").get(pk=invitation.pk)

    for _ in range(2):  # compiled on the first call, reused on the second
        selectors.surveys_forget()
        with django_assert_num_queries(2):  # the link, then the survey this process had not read
            found = selectors.invitation_for_token(invitation.token)
        assert _values(found) == _values(expected)
        assert _values(found.customer) == _values(expected.customer)
        assert _values(found.survey) == _values(expected.survey)
        assert _values(found.survey.brand) == _values(expected.survey.brand)
        if answered:
            assert _values(found.response) == _values(expected.response)
            assert found.response.survey is found.survey
        else:
            assert not hasattr(found, "response")


def test_an_unknown_token_is_not_found(db):
    InvitationFactory()
    for token in ("", "x", "%", "a" * 200):
        with pytest.raises(Http404):
            selectors.invitation_for_token(token)


def test_the_survey_is_read_once_per_process_and_again_when_saved(db, django_assert_num_queries):
    first = InvitationFactory()
    second = InvitationFactory(survey=first.survey)
    with django_assert_num_queries(2):
        selectors.invitation_for_token(first.token)
    with django_assert_num_queries(1):
        kept = selectors.invitation_for_token(second.token).survey
    assert kept.question_text.endswith("to a friend or colleague?")

    # Saved by another process: the stamp read with the link tells this one.
    survey = first.survey
    survey.question = "Would you send a friend to us?"
    survey.save()
    with django_assert_num_queries(2):
        assert selectors.invitation_for_token(first.token).survey.question_text == "Would you send a friend to us?"
    survey.question = "Would you tell a friend about us?"
    survey.save(update_fields=["question"])
    with django_assert_num_queries(2):
        assert selectors.invitation_for_token(first.token).survey.question_text == "Would you tell a friend about us?"
    survey.brand.name = "Maison Neuve"
    survey.brand.save()
    with django_assert_num_queries(2):
        assert selectors.invitation_for_token(second.token).survey.brand.name == "Maison Neuve"
    with django_assert_num_queries(1):
        assert selectors.invitation_for_token(first.token).survey.brand.name == "Maison Neuve"


def test_what_a_request_caches_on_its_survey_stays_in_that_request(db):
    invitation = InvitationFactory()
    survey = selectors.invitation_for_token(invitation.token).survey
    survey.name = "changed in one request only"
    survey.brand  # noqa: B018 - the brand is read with the survey, shared
    survey._state.fields_cache["team"] = None
    again = selectors.invitation_for_token(invitation.token).survey
    assert again is not survey
    assert again.name != "changed in one request only"
    assert "team" not in again._state.fields_cache


def test_a_page_shows_a_survey_saved_since_this_process_read_it(client, invitation):
    url = reverse("surveys:respond", args=[invitation.token])
    assert "Maison Test" in client.get(url).content.decode()
    brand = invitation.survey.brand
    brand.name, brand.colour = "Lumière", "#aa3300"
    brand.save()
    html = client.get(url).content.decode()
    assert "Lumière" in html and "Maison Test" not in html
    assert "?v=aa3300" in html


def _answer(client: Client, invitation, score: int):
    url = reverse("surveys:respond", args=[invitation.token])
    page = client.get(url)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return url, {"csrfmiddlewaretoken": csrf, "score": score, "comment": "The box was damaged"}


@pytest.mark.parametrize("score", [2, 8, 10])
def test_an_answer_and_its_thank_you_page_take_five_queries(
    db, score, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """The submit: the link, then its claim and the answer in one transaction (savepoint or
    BEGIN, UPDATE, INSERT, release or COMMIT). CSRF is checked; the answer's message to a worker
    is published after the commit. The thank-you page is the submit's own answer, with no query
    more; from its own address (a later visit) it takes one: the link with its answer."""
    client = Client(enforce_csrf_checks=True)
    earlier = InvitationFactory()
    invitation = InvitationFactory(survey=earlier.survey)
    # A process that has answered before: the survey is kept, and no webhook subscription
    # is known to be active (checked again every few seconds, see integrations.events).
    url, data = _answer(client, earlier, 9)
    client.post(url, data)

    url, data = _answer(client, invitation, score)
    with django_capture_on_commit_callbacks(execute=True):
        with django_assert_num_queries(5):
            reply = client.post(url, data)
    assert reply.status_code == 200
    assert "Change my answer" in reply.content.decode()
    with django_assert_num_queries(1):
        thanks = client.get(reverse("surveys:thanks", args=[invitation.token]))
    assert thanks.status_code == 200
    assert "Change my answer" in thanks.content.decode()
