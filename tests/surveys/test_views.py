import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import Ticket
from npsapp import publish as publishing
from surveys.models import Invitation, Response
from tests.pages import thanked


def _url(invitation):
    return reverse("surveys:respond", args=[invitation.token])


def test_survey_page_shows_the_question_and_labelled_scale(client, invitation):
    page = client.get(_url(invitation))
    assert page.status_code == 200
    html = page.content.decode()
    assert "How likely are you to recommend Maison Test to a friend or colleague?" in html
    assert html.count('name="score"') == 11
    assert "0 = not at all likely" in html and "10 = extremely likely" in html
    assert "<fieldset" in html and "<legend" in html


def test_get_writes_nothing_but_the_first_opening(client, invitation, django_assert_max_num_queries):
    # The lookup, the survey (the first request of this process to show it) and one conditional
    # UPDATE of opened_at: delivery tracking, not an answer.
    with django_assert_max_num_queries(3):
        client.get(_url(invitation) + "?score=3")
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    first_opened = invitation.opened_at
    assert first_opened is not None
    # Later visits (mail scanners, a second click) leave it as it was, with one query: the
    # survey is the one this process already read.
    with django_assert_max_num_queries(1):
        client.get(_url(invitation))
    invitation.refresh_from_db()
    assert invitation.opened_at == first_opened


def test_score_from_an_email_button_is_preselected_not_recorded(client, invitation):
    html = client.get(_url(invitation) + "?score=3").content.decode()
    assert re.search(r'value="3"[^>]*checked', html)
    assert len(re.findall(r"\bchecked\b", html)) == 1
    assert not Response.objects.exists()


def test_submit_then_thank_you_page(client, invitation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(_url(invitation), {"score": "2", "comment": "Parcel arrived broken"})
    assert thanked(reply)  # the answer's own reply: no second request
    assert "48" in reply.content.decode()
    response = Response.objects.get()
    assert (response.score, response.comment) == (2, "Parcel arrived broken")
    assert Ticket.objects.filter(response=response).count() == 1
    thanks = client.get(reverse("surveys:thanks", args=[invitation.token]))  # a later visit
    assert thanks.status_code == 200
    assert "48" in thanks.content.decode()


def test_a_reload_of_the_thank_you_page_posts_the_answer_again_and_records_nothing(
    client, invitation, monkeypatch, django_capture_on_commit_callbacks
):
    data = {"score": "2", "comment": "Parcel arrived broken"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(invitation), data)
    sent = []
    monkeypatch.setattr(publishing, "publish", lambda task, *args: sent.append(task.name))
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(_url(invitation), data)  # the browser's "resend the form?"
    assert thanked(again)
    response = Response.objects.get()
    assert (response.score, response.comment, response.corrected_at) == (2, "Parcel arrived broken", None)
    assert not response.revisions.exists()
    assert sent == []  # no hook runs again
    assert Ticket.objects.filter(response=response).count() == 1


def test_second_submit_within_a_day_corrects_the_same_response(client, invitation):
    client.post(_url(invitation), {"score": "9"})
    again = client.post(_url(invitation), {"score": "1", "comment": "changed my mind"})
    assert thanked(again)
    response = Response.objects.get()
    assert (response.score, response.comment) == (1, "changed my mind")
    assert response.revisions.get().score == 9


@pytest.mark.parametrize("score", ["", "abc", "-1", "11", "7.5"])
def test_bad_score_is_explained_and_the_comment_kept(client, invitation, score):
    typed = "Le livreur était <b>impoli</b> & en retard"
    reply = client.post(_url(invitation), {"score": score, "comment": typed})
    assert reply.status_code == 400
    html = reply.content.decode()
    assert "from 0 to 10" in html
    assert "Le livreur était &lt;b&gt;impoli&lt;/b&gt; &amp; en retard" in html
    assert not Response.objects.exists()


def test_overlong_comment_is_explained_and_kept(client, invitation):
    typed = "é" * 5001
    reply = client.post(_url(invitation), {"score": "4", "comment": typed})
    assert reply.status_code == 400
    html = reply.content.decode()
    assert "5001" in html and "5000" in html
    assert typed in html
    assert not Response.objects.exists()


@pytest.mark.parametrize(("language", "hint"), [("en", r"Up to 5,000 characters"), ("fr", r"5\s000 caractères")])
def test_the_comment_limit_is_written_the_customers_way(client, invitation, language, hint):
    html = client.get(_url(invitation), {"lang": language}).content.decode()
    assert re.search(hint, html)


def test_unknown_or_truncated_token_is_404(client, invitation):
    assert client.get(reverse("surveys:respond", args=["not-a-real-token"])).status_code == 404
    assert client.get(reverse("surveys:respond", args=[invitation.token[:-1]])).status_code == 404
    assert client.post(reverse("surveys:respond", args=["nope"]), {"score": "1"}).status_code == 404


def test_expired_link_says_so(client, invitation):
    Invitation.objects.filter(id=invitation.id).update(expires_at=timezone.now() - timedelta(days=1))
    page = client.get(_url(invitation))
    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert client.post(_url(invitation), {"score": "5"}).status_code == 410
    assert not Response.objects.exists()


def test_tokens_carry_at_least_128_bits(invitation, survey, customer):
    from surveys.services import invitation_create

    survey.contact_fatigue_days = 0  # one customer, fifty links: contact fatigue is not the point here
    survey.save(update_fields=["contact_fatigue_days"])
    tokens = {invitation_create(survey=survey, customer=customer).token for _ in range(50)}
    assert len(tokens) == 50
    # token_urlsafe: 6 bits per character; 22 characters would already be 132 bits.
    assert all(len(token) >= 43 for token in tokens)


def test_page_speaks_the_customers_language(client, invitation):
    invitation.customer.language = "fr"
    invitation.customer.save()
    html = client.get(_url(invitation)).content.decode()
    assert 'lang="fr"' in html


def test_browser_language_when_the_crm_has_none(client, invitation):
    invitation.customer.language = ""
    invitation.customer.save()
    html = client.get(_url(invitation), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert 'lang="fr"' in html


def test_security_headers_on_the_survey_page(client, invitation):
    page = client.get(_url(invitation))
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page["X-Frame-Options"] == "DENY"
