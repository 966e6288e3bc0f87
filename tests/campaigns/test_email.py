import pytest
from django.core import mail
from django.test import override_settings

from surveys.invitation_email import (
    invitation_email_send,
    invitation_token_from_unsubscribe,
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
    assert invitation_token_from_unsubscribe(signed) == invitation.token
    assert invitation_token_from_unsubscribe(signed[:-1] + ("A" if signed[-1] != "A" else "B")) is None
    assert invitation_token_from_unsubscribe(invitation.token) is None
    with override_settings(SECRET_KEY="another-key-entirely"):
        assert invitation_token_from_unsubscribe(signed) is None


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
