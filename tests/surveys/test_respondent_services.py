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
from surveys.choices import Channel
from surveys.models import Invitation, Response, ResponseTheme, Survey, Theme
from tests.factories import ResponseFactory
from tests.surveys.factories import PublicSurveyFactory


@pytest.fixture
def criteria_survey(survey):
    survey.criteria_question = "What mattered most?"
    survey.criteria_options = "Delivery\nProduct\n\nPrice\n"
    survey.csat_question = "How satisfied are you with your order?"
    survey.save()
    return survey


def _followup_task():
    from followups.tasks import ticket_open_for_response_task

    return ticket_open_for_response_task


# --- Criteria and satisfaction -------------------------------------------------------------------


def test_criteria_and_satisfaction_are_stored_in_the_options_order(invitation, criteria_survey):
    criteria_survey.criteria_multiple = True
    criteria_survey.save()
    response = services.response_submit(invitation=invitation, score=8, criteria=["Price", "Delivery"], csat=4)
    response.refresh_from_db()
    assert (response.criteria, response.csat) == (["Delivery", "Price"], 4)


def test_an_unknown_criterion_is_refused(invitation, criteria_survey):
    with pytest.raises(ValidationError) as exc:
        services.response_submit(invitation=invitation, score=8, criteria=["Free shipping"])
    assert "criteria" in exc.value.message_dict
    assert not Response.objects.exists()


def test_a_single_choice_question_takes_one_criterion(invitation, criteria_survey):
    with pytest.raises(ValidationError) as exc:
        services.response_submit(invitation=invitation, score=8, criteria=["Delivery", "Price"])
    assert "criteria" in exc.value.message_dict


@pytest.mark.parametrize("csat", [0, 6])
def test_satisfaction_is_1_to_5(invitation, criteria_survey, csat):
    with pytest.raises(ValidationError) as exc:
        services.response_submit(invitation=invitation, score=8, csat=csat)
    assert "csat" in exc.value.message_dict


def test_no_satisfaction_when_the_survey_asks_none(invitation):
    with pytest.raises(ValidationError) as exc:
        services.response_submit(invitation=invitation, score=8, csat=3)
    assert "csat" in exc.value.message_dict


def test_submit_with_criteria_and_satisfaction_stays_within_four_queries(
    invitation, criteria_survey, django_assert_max_num_queries
):
    # Savepoint, the link's claim (UPDATE), INSERT, release: the survey came with the invitation, and
    # an earlier answer found no webhook active (remembered: no subscriptions lookup).
    invitation = Invitation.objects.select_related("survey", "customer").get(pk=invitation.pk)
    webhook_events.emit(WebhookEvent.RESPONSE_CREATED, dict)
    with django_assert_max_num_queries(4):
        services.response_submit(invitation=invitation, score=3, comment="Late", criteria=["Delivery"], csat=2)


def test_a_detractors_answer_publishes_the_followup_hook_once_committed(invitation, django_capture_on_commit_callbacks):
    with mock.patch.object(_followup_task(), "apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = services.response_submit(invitation=invitation, score=2)
        publish.assert_not_called()  # nothing before the commit
        for callback in callbacks:
            callback()
    publish.assert_called_once_with(args=(response.id,), retry=False)


@pytest.mark.parametrize(
    ("score", "passive_outreach", "resurvey", "published"),
    [
        (10, False, False, False),  # a promoter: nothing to follow up
        (8, False, False, False),  # a passive, no outreach on this survey
        (8, True, False, True),  # a passive, and the survey opens outreach cases
        (9, False, True, True),  # the re-survey of a resolved case: its score is recorded
        (0, False, False, True),  # a detractor: a case
    ],
)
def test_the_followup_hook_is_published_only_when_it_has_work(
    invitation, django_capture_on_commit_callbacks, score, passive_outreach, resurvey, published
):
    Survey.objects.filter(pk=invitation.survey_id).update(passive_outreach=passive_outreach)
    if resurvey:
        case = ResponseFactory(score=2, invitation__customer=invitation.customer, invitation__survey=invitation.survey)
        Ticket.objects.create(
            survey=invitation.survey, response=case, first_contact_due_at=timezone.now(), resurvey_invitation=invitation
        )
        Invitation.objects.filter(pk=invitation.pk).update(is_resurvey=True)
    invitation = selectors.invitation_for_token(invitation.token)
    with mock.patch.object(_followup_task(), "apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=True):
            services.response_submit(invitation=invitation, score=score)
    assert publish.called is published


# --- Corrections -----------------------------------------------------------------------------------


def test_a_correction_keeps_the_earlier_answer_and_counts_the_latest(invitation, criteria_survey):
    with time_machine.travel("2026-05-04 10:00Z", tick=False):
        first = services.response_submit(invitation=invitation, score=3, comment="Late", criteria=["Delivery"], csat=2)
    with time_machine.travel("2026-05-04 18:00Z", tick=False):
        corrected = services.response_correct(response=first, score=7, comment="It arrived after all", csat=4)
    corrected.refresh_from_db()
    assert (corrected.score, corrected.comment, corrected.criteria, corrected.csat) == (
        7,
        "It arrived after all",
        [],
        4,
    )
    assert corrected.corrected_at.isoformat() == "2026-05-04T18:00:00+00:00"
    assert corrected.submitted_at.isoformat() == "2026-05-04T10:00:00+00:00"
    revision = corrected.revisions.get()
    assert (revision.score, revision.comment, revision.criteria, revision.csat) == (3, "Late", ["Delivery"], 2)
    assert revision.answered_at == first.submitted_at
    assert revision.changed_at == corrected.corrected_at
    assert Response.objects.count() == 1


def test_each_correction_records_what_it_replaced(invitation):
    with time_machine.travel("2026-05-04 10:00Z", tick=False):
        response = services.response_submit(invitation=invitation, score=2)
    with time_machine.travel("2026-05-04 11:00Z", tick=False):
        response = services.response_correct(response=response, score=5)
    with time_machine.travel("2026-05-04 12:00Z", tick=False):
        response = services.response_correct(response=response, score=9)
    assert list(response.revisions.values_list("score", flat=True)) == [2, 5]
    assert response.revisions.last().answered_at.isoformat() == "2026-05-04T11:00:00+00:00"


def test_no_correction_after_24_hours(invitation):
    with time_machine.travel("2026-05-04 10:00Z", tick=False):
        response = services.response_submit(invitation=invitation, score=2)
    with time_machine.travel("2026-05-05 09:59Z", tick=False):
        assert response.is_correctable
    with time_machine.travel("2026-05-05 10:00Z", tick=False):
        with pytest.raises(services.CorrectionClosed):
            services.response_correct(response=response, score=9)
    response.refresh_from_db()
    assert (response.score, response.corrected_at) == (2, None)
    assert not response.revisions.exists()


def test_a_bad_correction_changes_nothing(invitation):
    response = services.response_submit(invitation=invitation, score=2, comment="Late")
    with pytest.raises(ValidationError):
        services.response_correct(response=response, score=11, comment="oops")
    response.refresh_from_db()
    assert (response.score, response.comment, response.corrected_at) == (2, "Late", None)
    assert not response.revisions.exists()


def test_a_correction_publishes_the_followup_hook_again(invitation, django_capture_on_commit_callbacks):
    response = services.response_submit(invitation=invitation, score=9)
    with mock.patch.object(_followup_task(), "apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=True):
            services.response_correct(response=response, score=2, comment="Actually broken")
    publish.assert_called_once_with(args=(response.id,), retry=False)


def test_a_corrected_comment_gets_the_themes_of_its_new_words(invitation):
    delivery = Theme.objects.create(name="Delivery", keywords_en="late")
    price = Theme.objects.create(name="Price", keywords_en="expensive")
    response = services.response_submit(invitation=invitation, score=4, comment="Too expensive")
    services.response_themes_apply_rules(responses=[response])
    assert list(response.theme_links.values_list("theme", flat=True)) == [price.id]
    services.response_correct(response=response, score=4, comment="It came late")
    assert list(ResponseTheme.objects.filter(response=response).values_list("theme", flat=True)) == [delivery.id]


# --- Anonymous surveys ---------------------------------------------------------------------------------


def test_an_anonymous_answer_keeps_no_identity_but_its_language(invitation):
    invitation.survey.is_anonymous = True
    invitation.survey.save()
    response = services.response_submit(invitation=invitation, score=2, comment="Rude", language="fr")
    response.refresh_from_db()
    assert (response.customer, response.contact_email, response.language) == (None, "", "fr")


# --- Public feedback page -------------------------------------------------------------------------------


def test_a_public_answer_enters_the_same_pipeline(db, django_capture_on_commit_callbacks):
    survey = PublicSurveyFactory()
    with mock.patch.object(_followup_task(), "apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=True):
            response = services.response_submit_public(
                survey=survey, score=1, comment="  Nobody answers the phone ", email="jo@example.com", language="fr"
            )
    response.refresh_from_db()
    assert response.channel == Channel.PUBLIC_FORM
    assert (response.invitation, response.customer) == (None, None)
    assert (response.comment, response.contact_email, response.language) == (
        "Nobody answers the phone",
        "jo@example.com",
        "fr",
    )
    publish.assert_called_once_with(args=(response.id,), retry=False)


def test_an_anonymous_public_survey_drops_the_email(db):
    survey = PublicSurveyFactory(is_anonymous=True)
    response = services.response_submit_public(survey=survey, score=3, email="jo@example.com")
    assert Response.objects.get(pk=response.pk).contact_email == ""


@pytest.mark.parametrize("change", [{"public_form_enabled": False}, {"is_active": False}])
def test_a_closed_public_page_takes_no_answer(db, change):
    survey = PublicSurveyFactory(**change)
    with pytest.raises(services.PublicFormClosed):
        services.response_submit_public(survey=survey, score=3)
    assert not Response.objects.exists()


def test_a_bad_public_email_is_refused(db):
    with pytest.raises(ValidationError) as exc:
        services.response_submit_public(survey=PublicSurveyFactory(), score=3, email="not an email")
    assert "contact_email" in exc.value.message_dict


def test_public_submit_stays_within_four_queries(db, django_assert_max_num_queries):
    survey = PublicSurveyFactory()
    with django_assert_max_num_queries(4):
        services.response_submit_public(survey=survey, score=9, comment="Lovely shop")


# --- Opening -----------------------------------------------------------------------------------------------


def test_the_first_opening_is_recorded_once(invitation):
    with time_machine.travel("2026-05-04 10:00Z", tick=False):
        assert services.invitation_mark_opened(invitation=invitation) is True
    stale = Invitation.objects.get(pk=invitation.pk)
    stale.opened_at = None  # another request read the row before the first UPDATE
    with time_machine.travel("2026-05-04 11:00Z", tick=False):
        assert services.invitation_mark_opened(invitation=stale) is False
    invitation.refresh_from_db()
    assert invitation.opened_at.isoformat() == "2026-05-04T10:00:00+00:00"


def test_correction_window_is_a_day(invitation):
    response = services.response_submit(invitation=invitation, score=9)
    assert response.correctable_until - response.submitted_at == timedelta(hours=24)


def test_an_erased_customers_answer_cannot_be_rewritten_from_the_old_link(invitation):
    response = services.response_submit(invitation=invitation, score=2, comment="Late")
    type(invitation.customer).objects.filter(pk=invitation.customer_id).update(erased_at=timezone.now())
    with pytest.raises(services.CorrectionClosed):
        services.response_correct(response=response, score=2, comment="My words again")
    assert not response.revisions.exists()
