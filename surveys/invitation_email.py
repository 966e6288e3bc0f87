"""The email carrying a customer's personal survey link, in the customer's language."""

from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.utils import translation

from surveys import scoring
from surveys.models import Invitation


def invitation_email_send(*, invitation: Invitation) -> int:
    """Email the personal link to the invited customer; returns how many emails were sent (0 or 1).

    Raises ValueError when the customer has no email address, and whatever the mail backend
    raises when it cannot send (the caller decides whether to retry or report it).
    """
    customer, survey = invitation.customer, invitation.survey
    if not customer.email:
        raise ValueError("the customer has no email address")
    with translation.override(customer.language or settings.LANGUAGE_CODE):
        context = {
            "first_name": customer.first_name,
            "brand": survey.brand.name,
            "question": survey.question_text,
            "url": invitation.url,
            "expires_at": invitation.expires_at,
            # One link per score: opening one only preselects it, the customer still submits.
            "scores": [
                (score, f"{invitation.url}?score={score}") for score in range(scoring.SCORE_MIN, scoring.SCORE_MAX + 1)
            ],
        }
        subject = " ".join(render_to_string("surveys/email/invitation_subject.txt", context).split())
        text = render_to_string("surveys/email/invitation_body.txt", context)
        html = render_to_string("surveys/email/invitation_body.html", context)
    message = mail.EmailMultiAlternatives(subject, text, to=[customer.email])
    message.attach_alternative(html, "text/html")
    return message.send()
