"""The email carrying a customer's personal survey link, in the customer's language.

Eleven score links (0–10) in the body: opening one shows the survey page with that score
preselected; nothing is recorded until the customer submits. Every email carries an
unsubscribe link (its own signed token, which can only unsubscribe) and a List-Unsubscribe header.
"""

import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import mail, signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from crm.models import Customer
from surveys import scoring
from surveys.models import Invitation, Survey

# Links emailed before unsubscribe links had their own token signed the survey token itself,
# which opened the survey: they still unsubscribe (see unsubscribe_target), nothing more.
LEGACY_UNSUBSCRIBE_SALT = "campaigns.unsubscribe"
UNSUBSCRIBE_SALT = "surveys.unsubscribe-only"


def unsubscribe_token(invitation: Invitation) -> str:
    """The token of the unsubscribe link and List-Unsubscribe header: it can only unsubscribe.

    The customer's and the survey's public ids and the email's language, signed: no survey
    token is in it, so whoever sees the link (a mail scanner, a forwarded email's recipient)
    cannot open or answer the survey with it.
    """
    value = f"{invitation.customer.public_id.hex}.{invitation.survey.public_id.hex}.{email_language(invitation)}"
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(value)


@dataclass(frozen=True)
class UnsubscribeTarget:
    customer: Customer
    survey: Survey
    language: str


def unsubscribe_target(signed: str) -> UnsubscribeTarget | None:
    """Who an unsubscribe link unsubscribes, from which survey's email, in which language; None if forged."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(signed)
    except signing.BadSignature:
        value = None
    if value is not None:
        customer_id, survey_id, language = (value.split(".") + ["", "", ""])[:3]
        try:
            customer = Customer.objects.filter(public_id=uuid.UUID(hex=customer_id)).first()
            survey = Survey.objects.select_related("brand").filter(public_id=uuid.UUID(hex=survey_id)).first()
        except ValueError:
            return None
        if customer is None or survey is None:
            return None
        return UnsubscribeTarget(customer=customer, survey=survey, language=language or settings.LANGUAGE_CODE)
    try:
        token = signing.Signer(salt=LEGACY_UNSUBSCRIBE_SALT).unsign(signed)
    except signing.BadSignature:
        return None
    invitation = Invitation.objects.select_related("customer", "survey__brand").filter(token=token).first()
    if invitation is None:
        return None
    return UnsubscribeTarget(
        customer=invitation.customer, survey=invitation.survey, language=email_language(invitation)
    )


def email_language(invitation: Invitation) -> str:
    """The invitation's language, else the customer's, else the site default; always one we speak."""
    language = invitation.language or invitation.customer.language or settings.LANGUAGE_CODE
    known = {code for code, _name in settings.LANGUAGES}
    return language if language in known else settings.LANGUAGE_CODE


# Stand-ins rendered into the templates, then replaced by each customer's values: a campaign
# renders its templates once per language, not once per customer (see InvitationEmailRenderer).
_FIRST_NAME = "npsappmergefirstname"
_SURVEY_TOKEN = "npsappmergesurveytoken"
_UNSUBSCRIBE_TOKEN = "npsappmergeunsubscribetoken"
_MERGE_FIELDS = re.compile(f"{_FIRST_NAME}|{_SURVEY_TOKEN}|{_UNSUBSCRIBE_TOKEN}")


class InvitationEmailRenderer:
    """Builds invitation emails, rendering each distinct template once and merging the personal parts.

    The personal parts are the first name and the two links' tokens; whatever else the
    templates show (language, brand, question, expiry date, reminder or not, whether there is
    a first name) is part of the cache key. Keep one renderer for a batch of emails.
    """

    def __init__(self):
        self._rendered: dict[tuple, tuple[str, str, str]] = {}

    def _templates(self, invitation: Invitation, language: str, reminder: bool) -> tuple[str, str, str]:
        survey, customer = invitation.survey, invitation.customer
        key = (
            language,
            survey.pk,
            # The expiry is shown to the minute (with its zone): links made in the same minute share it.
            timezone.localtime(invitation.expires_at).replace(second=0, microsecond=0),
            reminder,
            bool(customer.first_name),
        )
        if key not in self._rendered:
            with translation.override(language):
                url = settings.SITE_URL + reverse("surveys:respond", args=[_SURVEY_TOKEN])
                context = {
                    "first_name": _FIRST_NAME if customer.first_name else "",
                    "brand": survey.brand.name,
                    "brand_colour": survey.brand.css_colour,
                    "question": survey.question_text,
                    "custom_subject": survey.email_subject,
                    "custom_text": survey.email_body,
                    "url": url,
                    "expires_at": invitation.expires_at,
                    "reminder": reminder,
                    "unsubscribe_url": settings.SITE_URL + reverse("campaigns:unsubscribe", args=[_UNSUBSCRIBE_TOKEN]),
                    # One link per score: opening one only preselects it, the customer still submits.
                    "scores": [
                        (score, f"{url}?score={score}") for score in range(scoring.SCORE_MIN, scoring.SCORE_MAX + 1)
                    ],
                }
                subject = " ".join(render_to_string("surveys/email/invitation_subject.txt", context).split())
                text = render_to_string("surveys/email/invitation_body.txt", context)
                html = render_to_string("surveys/email/invitation_body.html", context)
            self._rendered[key] = (subject, text, html)
        return self._rendered[key]

    def message(self, *, invitation: Invitation, reminder: bool = False, connection=None):
        """The invitation (or its one reminder) as a ready-to-send message with text and HTML parts.

        Raises ValueError when the customer has no email address.
        """
        customer = invitation.customer
        if not customer.email:
            raise ValueError("the customer has no email address")
        subject, text, html = self._templates(invitation, email_language(invitation), reminder)
        values = {
            _FIRST_NAME: customer.first_name,
            _SURVEY_TOKEN: invitation.token,
            _UNSUBSCRIBE_TOKEN: unsubscribe_token(invitation),
        }
        escaped = {**values, _FIRST_NAME: escape(customer.first_name)}
        # One pass: a value that happens to contain a stand-in is not replaced again.
        text = _MERGE_FIELDS.sub(lambda match: values[match.group(0)], text)
        html = _MERGE_FIELDS.sub(lambda match: escaped[match.group(0)], html)
        unsubscribe = settings.SITE_URL + reverse("campaigns:unsubscribe", args=[values[_UNSUBSCRIBE_TOKEN]])
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            # RFC 8058 one-click: the mail client POSTs to the link (the view accepts it without CSRF).
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        message = mail.EmailMultiAlternatives(
            subject, text, to=[customer.email], headers=headers, connection=connection
        )
        message.attach_alternative(html, "text/html")
        return message


def invitation_email_message(
    *, invitation: Invitation, reminder: bool = False, connection=None, renderer: InvitationEmailRenderer | None = None
):
    """The invitation (or its one reminder) as a message; pass one `renderer` for a batch of them.

    Raises ValueError when the customer has no email address.
    """
    renderer = renderer or InvitationEmailRenderer()
    return renderer.message(invitation=invitation, reminder=reminder, connection=connection)


def invitation_email_send(*, invitation: Invitation, reminder: bool = False, connection=None) -> int:
    """Email the personal link to the invited customer; returns how many emails were sent (0 or 1).

    Raises ValueError when the customer has no email address, and whatever the mail backend
    raises when it cannot send (the caller decides whether to retry or report it).
    """
    return invitation_email_message(invitation=invitation, reminder=reminder, connection=connection).send()
