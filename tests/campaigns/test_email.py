from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import override_settings

from surveys.invitation_email import (
    invitation_email_send,
    unsubscribe_target,
    unsubscribe_token,
)
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def test_email_is_personal_with_eleven_score_links_and_an_unsubscribe_link(invitation):
    assert invitation_email_send(invitation=invitation) == 1

    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert message.to == ["jeanne@example.com"]
    assert message.subject == "Your opinion of Maison Test"
    assert "Hello Jeanne," in message.body
    for score in range(11):
        assert f"{invitation.url}?score={score}" in message.body
        assert f'href="{invitation.url}?score={score}"' in html
    assert f"{invitation.url}?score=11" not in message.body
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<http") and header.endswith(">")
    unsubscribe = header[1:-1]
    assert unsubscribe in message.body and unsubscribe in html
    # The link carries the signed random token, not an integer id.
    assert f"/campaigns/unsubscribe/{unsubscribe_token(invitation)}/" in unsubscribe
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_email_speaks_the_customers_language():
    invitation = InvitationFactory(customer=CustomerFactory(language="fr", first_name="Anne"), language="fr")
    invitation_email_send(invitation=invitation)
    # The catalogue may not translate every string yet: the page is French at least in its lang.
    assert 'lang="fr"' in mail.outbox[0].alternatives[0][0]


def test_customer_text_is_escaped_in_the_html():
    customer = CustomerFactory(first_name="<b>Eve</b>")
    invitation = InvitationFactory(customer=customer, survey=SurveyFactory(question="Recommend <us>?"))
    invitation_email_send(invitation=invitation)
    html = mail.outbox[0].alternatives[0][0]
    assert "<b>Eve</b>" not in html and "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert "Recommend &lt;us&gt;?" in html


def test_no_email_address_is_an_error():
    invitation = InvitationFactory(customer=CustomerFactory(email=""))
    with pytest.raises(ValueError):
        invitation_email_send(invitation=invitation)


def test_unsubscribe_token_is_signed(invitation):
    signed = unsubscribe_token(invitation)
    target = unsubscribe_target(signed)
    assert (target.customer, target.survey) == (invitation.customer, invitation.survey)
    assert unsubscribe_target(signed[:-1] + ("A" if signed[-1] != "A" else "B")) is None
    assert unsubscribe_target(invitation.token) is None
    with override_settings(SECRET_KEY="another-key-entirely"):
        assert unsubscribe_target(signed) is None


def test_the_unsubscribe_link_cannot_open_or_answer_the_survey(client, invitation):
    """Whoever sees the unsubscribe link or header (a scanner, a forward) cannot answer as the customer."""
    invitation_email_send(invitation=invitation)
    message = mail.outbox[0]
    header = message.extra_headers["List-Unsubscribe"][1:-1]
    signed = header.rstrip("/").rsplit("/", 1)[1]
    assert invitation.token not in header
    # Neither the whole token nor any part of it is a survey link.
    for candidate in {signed, *signed.replace(":", ".").split(".")}:
        assert client.get(f"/s/{candidate}/").status_code == 404
        assert client.post(f"/s/{candidate}/", {"score": 0}).status_code == 404
    assert not invitation.__class__.objects.filter(response__isnull=False).exists()
    # It still unsubscribes.
    assert client.post(urlsplit(header).path).status_code == 200
    invitation.customer.refresh_from_db()
    assert invitation.customer.surveys_opted_out_at is not None


def test_a_link_emailed_before_the_change_still_unsubscribes(client, invitation):
    from django.core import signing

    legacy = signing.Signer(salt="campaigns.unsubscribe").sign(invitation.token)
    assert client.post(f"/campaigns/unsubscribe/{legacy}/").status_code == 200
    invitation.customer.refresh_from_db()
    assert invitation.customer.surveys_opted_out_at is not None


def test_one_renderer_for_a_batch_keeps_every_email_personal():
    from surveys.invitation_email import InvitationEmailRenderer

    survey = SurveyFactory()
    anne = InvitationFactory(survey=survey, customer=CustomerFactory(first_name="Anne"))
    bob = InvitationFactory(survey=survey, customer=CustomerFactory(first_name="<Bob>"))
    nameless = InvitationFactory(survey=survey, customer=CustomerFactory(first_name=""))
    renderer = InvitationEmailRenderer()

    messages = {inv.id: renderer.message(invitation=inv) for inv in (anne, bob, nameless)}

    for invitation, other in ((anne, bob), (bob, anne)):
        message = messages[invitation.id]
        html = message.alternatives[0][0]
        assert f"{invitation.url}?score=7" in message.body and f"{invitation.url}?score=7" in html
        assert other.token not in message.body and other.token not in html
        assert unsubscribe_token(invitation) in html
    assert "Hello Anne," in messages[anne.id].body
    assert "Hello <Bob>," in messages[bob.id].body
    assert "Hello &lt;Bob&gt;," in messages[bob.id].alternatives[0][0]
    assert messages[nameless.id].body.startswith("Hello,")
    assert "npsappmerge" not in "".join(m.body + m.alternatives[0][0] for m in messages.values())
