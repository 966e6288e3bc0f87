"""Every write to surveys, invitations and responses."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from npsapp.publish import publish_on_commit
from surveys.choices import Segment
from surveys.models import Invitation, Response, Survey


class InvitationExpired(Exception):
    """The personal link is past its expiry date."""


class AlreadyAnswered(Exception):
    """The personal link has already been used to answer."""


def invitation_create(*, survey: Survey, customer, channel: str = "email", created_at=None) -> Invitation:
    invitation = Invitation(survey=survey, customer=customer, channel=channel)
    if created_at is not None:
        invitation.created_at = created_at
    invitation.full_clean(validate_unique=False)
    invitation.save()
    return invitation


@transaction.atomic
def response_submit(*, invitation: Invitation, score: int, comment: str = "", language: str = "") -> Response:
    """Record a customer's answer to their personal link.

    Raises InvitationExpired, AlreadyAnswered, or ValidationError for a bad score or comment.
    A detractor's answer schedules a follow-up ticket once the answer is committed; if the
    broker is down the reconciliation task opens it later.
    """
    if invitation.is_expired:
        raise InvitationExpired
    survey = invitation.survey
    response = Response(
        survey=survey,
        invitation=invitation,
        customer=None if survey.is_anonymous else invitation.customer,
        channel=invitation.channel,
        score=score,
        comment=comment.strip(),
        language=language,
        submitted_at=timezone.now(),
    )
    # Uniqueness is left to the database: one INSERT, and a concurrent second submit fails there.
    # The score's range is checked by the field validators here and by a CHECK constraint in
    # the database, so the constraint is not queried twice.
    response.full_clean(validate_unique=False, validate_constraints=False, exclude=["invitation", "survey", "customer"])
    try:
        response.save()
    except IntegrityError as exc:
        raise AlreadyAnswered from exc
    if response.segment == Segment.DETRACTOR:
        from followups.tasks import ticket_open_for_response_task

        publish_on_commit(ticket_open_for_response_task, response.id)
    return response
