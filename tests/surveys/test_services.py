from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from followups.models import Ticket
from integrations import events as webhook_events
from integrations.choices import WebhookEvent
from surveys import selectors, services
from surveys.models import Response


def test_a_detractor_answer_opens_one_ticket_due_48_hours_later(invitation, django_capture_on_commit_callbacks):
    with time_machine.travel("2026-05-04 10:00Z", tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = services.response_submit(invitation=invitation, score=2, comment="Late delivery")
    ticket = Ticket.objects.get(response=response)
    assert ticket.first_contact_due_at == response.submitted_at + timedelta(hours=48)
    assert ticket.priority == "high"
    assert ticket.customer == invitation.customer
    assert list(ticket.events.values_list("kind", flat=True)) == ["opened"]


def test_deadline_follows_the_survey_policy(invitation, django_capture_on_commit_callbacks):
    invitation.survey.first_contact_hours = 24
    invitation.survey.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = services.response_submit(invitation=invitation, score=5)
    assert response.ticket.first_contact_due_at == response.submitted_at + timedelta(hours=24)
    assert response.ticket.priority == "normal"


@pytest.mark.parametrize("score", [7, 8, 9, 10])
def test_passives_and_promoters_get_no_detractor_case(invitation, score, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.response_submit(invitation=invitation, score=score)
    assert not Ticket.objects.exists()


def test_second_submit_of_the_same_link_is_refused(invitation):
    services.response_submit(invitation=invitation, score=9)
    with pytest.raises(services.AlreadyAnswered):
        services.response_submit(invitation=invitation, score=3)
    assert Response.objects.get().score == 9


def test_expired_link_is_refused(invitation):
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    with pytest.raises(services.InvitationExpired):
        services.response_submit(invitation=invitation, score=9)
    assert not Response.objects.exists()


@pytest.mark.parametrize("score", [-1, 11])
def test_out_of_range_score_is_a_validation_error(invitation, score):
    with pytest.raises(ValidationError) as exc:
        services.response_submit(invitation=invitation, score=score)
    assert "score" in exc.value.message_dict
    assert not Response.objects.exists()


def test_overlong_comment_is_a_validation_error(invitation):
    with pytest.raises(ValidationError) as exc:
        services.response_submit(invitation=invitation, score=4, comment="x" * 5001)
    assert "comment" in exc.value.message_dict


def test_anonymous_survey_stores_no_customer(invitation):
    invitation.survey.is_anonymous = True
    invitation.survey.save()
    response = services.response_submit(invitation=invitation, score=9)
    assert response.customer is None


def test_answer_is_kept_when_the_broker_is_down(invitation, django_capture_on_commit_callbacks):
    from followups.tasks import ticket_open_for_response_task

    with mock.patch.object(ticket_open_for_response_task, "apply_async", side_effect=OSError("connection refused")):
        with django_capture_on_commit_callbacks(execute=True):
            response = services.response_submit(invitation=invitation, score=1, comment="Broken on arrival")
    assert Response.objects.filter(id=response.id, comment="Broken on arrival").exists()
    assert not Ticket.objects.exists()


def test_submit_writes_with_few_queries(invitation, django_assert_max_num_queries):
    invitation = selectors.invitation_for_token(invitation.token)  # as the survey page reads it
    webhook_events.emit(WebhookEvent.RESPONSE_CREATED, dict)  # an earlier answer found no webhook active
    # Savepoint, the link's claim (UPDATE), INSERT, release: no webhook subscriptions lookup.
    with django_assert_max_num_queries(4):
        services.response_submit(invitation=invitation, score=9, comment="Great")
