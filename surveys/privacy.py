"""What surveys hold about a customer: their survey links, answers and earlier answers.

The privacy room (privacy.registry) finds this module through SurveysConfig.personal_data.
It runs after the CRM (ORDER) and records the customer's answers on the subject, for the
apps after it (cases, webhook payloads). Erasure and retention keep scores, dates, channels,
languages and themes, so the NPS and the roll-up keep their numbers; the words go.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q

from npsapp.personal_data import plain
from surveys.models import Invitation, Response, ResponseRevision, ResponseTheme

ORDER = 20


def customer_responses(customer):
    # Answers to an anonymous survey have no customer, but their invitation still names them.
    return Response.objects.filter(Q(customer=customer) | Q(invitation__customer=customer))


def responses_identifiable_before(cutoff):
    """Answers submitted before `cutoff` that still say something about who gave them (retention)."""
    identifiable = Q(customer__isnull=False) | Q(invitation__isnull=False) | ~Q(comment="") | ~Q(contact_email="")
    return Response.objects.filter(identifiable, submitted_at__lt=cutoff)


def export(subject, document: dict) -> None:
    """Survey links (without their tokens: keys to answer, not information) and answers: three queries."""
    customer = subject.customer
    invitations = Invitation.objects.filter(customer=customer).select_related("survey").order_by("created_at", "id")
    responses = list(
        customer_responses(customer)
        .select_related("survey")
        .prefetch_related(
            Prefetch("theme_links", queryset=ResponseTheme.objects.select_related("theme").order_by("theme__name"))
        )
        .order_by("submitted_at", "id")
    )
    subject.response_ids = [response.id for response in responses]
    subject.response_public_ids = [str(response.public_id) for response in responses]
    document["invitations"] = [
        {
            "survey": invitation.survey.name,
            "channel": invitation.channel,
            "created_at": plain(invitation.created_at),
            "expires_at": plain(invitation.expires_at),
            "answered": invitation.answered,
        }
        for invitation in invitations
    ]
    document["responses"] = [
        {
            "public_id": str(response.public_id),
            "survey": response.survey.name,
            "score": response.score,
            "comment": response.comment,
            "submitted_at": plain(response.submitted_at),
            "channel": response.channel,
            "language": response.language,
            "themes": [link.theme.name for link in response.theme_links.all()],
        }
        for response in responses
    ]


def erase(subject) -> dict:
    """Answers keep their link to the (now anonymous) customer and lose their words; open links expire."""
    found = list(customer_responses(subject.customer).values_list("id", "public_id"))
    subject.response_ids = [response_id for response_id, _public_id in found]
    subject.response_public_ids = [str(public_id) for _response_id, public_id in found]
    ids = subject.response_ids
    return {
        "responses_redacted": Response.objects.filter(id__in=ids)
        .exclude(comment="", contact_email="")
        .update(comment="", contact_email=""),
        "earlier_answers_redacted": ResponseRevision.objects.filter(response_id__in=ids)
        .exclude(comment="")
        .update(comment=""),
        "invitations_expired": Invitation.objects.filter(customer=subject.customer, expires_at__gt=subject.now).update(
            expires_at=subject.now
        ),
    }


def anonymise_responses(*, response_ids, now) -> None:
    """Old answers lose their words and their links to the customer and the invitation."""
    # An old link without its answer could be used to answer again: close it first.
    Invitation.objects.filter(response__id__in=response_ids, expires_at__gt=now).update(expires_at=now)
    Response.objects.filter(id__in=response_ids).update(comment="", contact_email="", customer=None, invitation=None)
    ResponseRevision.objects.filter(response_id__in=response_ids).exclude(comment="").update(comment="")
