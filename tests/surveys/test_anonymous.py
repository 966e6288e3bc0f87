"""An anonymous survey: no stored row leads from an answer to a customer, through any entry point.

The walk follows every relation Django knows of (read from `_meta`, so a relation added later is
walked too) from each answer and its earlier versions, and stops only at shared configuration
(the survey, its brand, themes, teams, staff users): anything else reached must be neither a
customer nor an invitation, and no text or JSON column may hold the customer's identifiers.
"""

import importlib
import json
import logging
import pkgutil
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.selectors import campaign_counts
from crm.models import Customer
from followups.models import BusinessCalendar, Team, Ticket
from integrations.choices import TokenScope
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services import api_token_create
from npsapp.logredact import RedactPersonalLinks
from surveys import migrations, services
from surveys.models import Brand, Invitation, Response, ResponseRevision, Survey, Theme
from tests.factories import CustomerFactory, InvitationFactory, ResponseFactory, SurveyFactory
from tests.pages import thanked

# Rows many answers share: reaching one says nothing about a respondent, and walking on from it
# would reach every invitation. Anything else an answer leads to is walked.
SHARED = {Survey, Brand, Theme, Team, BusinessCalendar, Campaign, get_user_model()}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_webhook_calls():
    with mock.patch("integrations.webhooks._http_post", return_value=mock.Mock(status_code=204, reason="")):
        yield


@pytest.fixture
def hook(db):
    return WebhookSubscription.objects.create(
        name="CRM",
        url="https://hooks.example.com/npsapp",
        events=["response.created", "response.corrected", "case.opened"],
    )


@pytest.fixture
def read_key(admin_user) -> str:
    return api_token_create(name="BI export", scope=TokenScope.READ, created_by=admin_user)[1]


@pytest.fixture
def anon_survey(db):
    return SurveyFactory(
        name="Anon survey",
        is_anonymous=True,
        public_form_enabled=True,
        criteria_question="What mattered?",
        criteria_options="Delivery\nPrice",
    )


@pytest.fixture
def anna(db):
    return CustomerFactory(
        first_name="Anna", last_name="Nonymous", email="anna.nonymous@example.com", external_id="CRM-ANNA"
    )


def _identifiers(customer, invitation) -> list[str]:
    return [
        customer.email,
        customer.first_name,
        customer.last_name,
        customer.external_id,
        str(customer.public_id),
        invitation.token,
    ]


def _related_rows(obj):
    """Every row `obj` points to or is pointed to by, except shared configuration."""
    for field in obj._meta.get_fields():
        if not field.is_relation or field.related_model is None or field.related_model in SHARED:
            continue
        if field.concrete and (field.many_to_one or field.one_to_one):
            value = getattr(obj, field.name)
            if value is not None:
                yield value
        elif field.one_to_one:  # reverse one-to-one
            try:
                yield getattr(obj, field.get_accessor_name())
            except ObjectDoesNotExist:
                pass
        elif field.one_to_many or field.many_to_many:
            accessor = field.name if field.concrete else field.get_accessor_name()
            yield from getattr(obj, accessor).all()


def _walk(*starts) -> list:
    seen, reached, stack = set(), [], list(starts)
    while stack:
        obj = stack.pop()
        key = (obj._meta.label, obj.pk)
        if key in seen:
            continue
        seen.add(key)
        reached.append(obj)
        stack.extend(_related_rows(obj))
    return reached


def _stored_text(obj) -> str:
    """Every text and JSON column of a row, as one string."""
    values = [getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.is_relation]
    return json.dumps(values, default=str)


def _assert_no_way_back(responses, customer, invitation):
    starts = list(responses) + list(ResponseRevision.objects.filter(response__in=responses))
    reached = _walk(*starts)
    kinds = {type(obj) for obj in reached}
    assert Customer not in kinds and Invitation not in kinds, sorted(obj._meta.label for obj in reached)
    for obj in reached:
        text = _stored_text(obj)
        assert [value for value in _identifiers(customer, invitation) if value in text] == [], obj
    for delivery in WebhookDelivery.objects.all():
        payload = json.dumps(delivery.payload)
        assert "customer" not in delivery.payload["data"]
        assert [value for value in _identifiers(customer, invitation) if value in payload] == []
    return reached


def _body(page) -> str:
    raw = b"".join(page.streaming_content) if page.streaming else page.content
    return raw.decode("utf-8-sig")


def _answer(client, invitation, **data):
    data = {"score": 2, "comment": "Late again", "lang": "en"} | data
    return client.post(reverse("surveys:respond", args=[invitation.token]), data)


# --- The survey page, its correction, the webhooks, the case, the logs ---------------------------------


def test_page_answer_and_correction_leave_no_way_back_to_the_customer(
    client, anon_survey, anna, hook, caplog, django_capture_on_commit_callbacks
):
    invitation = services.invitation_create(survey=anon_survey, customer=anna)
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(reverse("surveys:respond", args=[invitation.token])).status_code == 200
        assert thanked(_answer(client, invitation, criteria="Delivery"))
        assert thanked(_answer(client, invitation, score=1, comment="Even later"))

    response = Response.objects.get(survey=anon_survey)
    assert (response.score, response.revisions.count()) == (1, 1)
    reached = _assert_no_way_back([response], anna, invitation)
    # The detractor's case was opened, with nobody to contact.
    assert any(isinstance(obj, Ticket) for obj in reached)
    assert Ticket.objects.get(response=response).customer_id is None
    assert {d.event for d in WebhookDelivery.objects.all()} == {"response.created", "response.corrected", "case.opened"}
    # The link knows it was answered, and nothing more: not when (its opening time is a day).
    invitation.refresh_from_db()
    assert invitation.answered
    assert (invitation.opened_at.hour, invitation.opened_at.minute, invitation.opened_at.second) == (0, 0, 0)
    for value in _identifiers(anna, invitation):
        assert value not in caplog.text


def test_one_answer_per_link_without_the_link_from_answer_to_invitation(client, anon_survey, anna):
    invitation = services.invitation_create(survey=anon_survey, customer=anna)
    _answer(client, invitation)
    with pytest.raises(services.AlreadyAnswered):
        services.response_submit(invitation=Invitation.objects.get(pk=invitation.pk), score=9)
    # Another browser (no key): the answered page, nothing recorded, nothing shown of the answer.
    other = client.__class__()
    page = _answer(other, invitation, score=10, comment="Someone else")
    assert page.status_code == 200 and b"anonymous-answered" in page.content
    assert b"Late again" not in other.get(reverse("surveys:respond", args=[invitation.token])).content
    assert b"Late again" not in other.get(reverse("surveys:thanks", args=[invitation.token])).content
    assert list(Response.objects.values_list("score", flat=True)) == [2]


def test_correction_works_from_the_answering_browser_for_24_hours_only(client, anon_survey, anna):
    invitation = services.invitation_create(survey=anon_survey, customer=anna)
    _answer(client, invitation)
    page = client.get(reverse("surveys:respond", args=[invitation.token]))
    assert b"change-notice" in page.content and b"Late again" in page.content
    assert b"this browser only" in client.get(reverse("surveys:thanks", args=[invitation.token])).content
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        page = _answer(client, invitation, score=9)
        assert b"anonymous-answered" in page.content
    assert Response.objects.get().score == 2


def test_a_key_for_one_link_opens_no_other_answer(client, anon_survey, anna):
    first = services.invitation_create(survey=anon_survey, customer=anna)
    second = services.invitation_create(survey=anon_survey, customer=CustomerFactory())
    _answer(client, first)
    services.response_submit(invitation=second, score=10, comment="Other person's words")
    # The cookie is scoped (path and signature) to the first link.
    assert b"Other person" not in client.get(reverse("surveys:respond", args=[second.token])).content


# --- The public feedback page -----------------------------------------------------------------------


def test_public_page_stores_no_email_on_an_anonymous_survey(client, anon_survey, anna):
    url = reverse("surveys:public_feedback", args=[anon_survey.public_id])
    client.post(url, {"score": 3, "comment": "No", "email": anna.email, "lang": "en"})
    response = Response.objects.get()
    invitation = InvitationFactory(survey=anon_survey, customer=anna)
    _assert_no_way_back([response], anna, invitation)
    assert response.contact_email == ""


# --- Staff: API, CSV export, Django admin, campaign -------------------------------------------------------


def test_api_exports_staff_pages_and_admin_show_no_customer_for_an_anonymous_answer(
    client, admin_user, anon_survey, anna, read_key, django_capture_on_commit_callbacks
):
    invitation = services.invitation_create(survey=anon_survey, customer=anna)
    with django_capture_on_commit_callbacks(execute=True):
        response = services.response_submit(invitation=invitation, score=4, comment="Meh")
    ticket = Ticket.objects.get(response=response)
    identifiers = _identifiers(anna, invitation)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {read_key}"}

    pages = {
        "API responses": client.get(reverse("api:responses"), **bearer),
        "API response": client.get(reverse("api:response", args=[response.public_id]), **bearer),
        "API by customer": client.get(reverse("api:responses"), {"customer": anna.external_id}, **bearer),
        "API cases": client.get(reverse("api:cases"), **bearer),
        "API case": client.get(reverse("api:case", args=[ticket.public_id]), **bearer),
    }
    client.force_login(admin_user)
    pages |= {
        "responses CSV": client.get(reverse("reporting:export_responses"), {"start": "2000-01-01"}),
        "cases CSV": client.get(reverse("reporting:export_cases"), {"start": "2000-01-01"}),
        "inbox": client.get(reverse("followups:inbox")),
        "case page": client.get(reverse("followups:ticket", args=[ticket.public_id])),
        "admin responses": client.get(reverse("admin:surveys_response_changelist")),
        "admin response": client.get(reverse("admin:surveys_response_change", args=[response.pk])),
        "admin case": client.get(reverse("admin:followups_ticket_change", args=[ticket.pk])),
    }
    bodies = {name: _body(page) for name, page in pages.items()}
    assert {name: page.status_code for name, page in pages.items()} == dict.fromkeys(pages, 200)
    for name, body in bodies.items():
        assert [value for value in identifiers if value in body] == [], name
    assert "Meh" in bodies["API responses"] and "Meh" in bodies["responses CSV"] and "Meh" in bodies["case page"]
    assert pages["API by customer"].json()["results"] == []
    # The customer's own page does not hold the answer either.
    customer_page = client.get(reverse("customerview:customer", args=[anna.public_id])).content.decode()
    assert "Meh" not in customer_page


def test_a_campaign_shows_who_answered_but_not_what(client, admin_user, anon_survey, anna):
    campaign = Campaign.objects.create(survey=anon_survey, name="Spring", created_by=admin_user, send_at=timezone.now())
    invitation = services.invitation_create(survey=anon_survey, customer=anna)
    Invitation.objects.filter(pk=invitation.pk).update(campaign=campaign)
    services.response_submit(invitation=invitation, score=0, comment="Dreadful")
    assert campaign_counts(campaign=campaign).answered == 1
    client.force_login(admin_user)
    page = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert "Nonymous" in page and "Dreadful" not in page


def test_a_survey_with_identified_answers_cannot_be_made_anonymous(db):
    response = ResponseFactory()
    survey = response.survey
    survey.is_anonymous = True
    with pytest.raises(ValidationError) as error:
        survey.full_clean()
    assert "is_anonymous" in error.value.message_dict


# --- Existing data ------------------------------------------------------------------------------------


def test_the_migration_severs_existing_anonymous_answers_from_their_links(anon_survey, anna):
    invitation = InvitationFactory(survey=anon_survey, customer=anna, opened_at=timezone.now())
    old = ResponseFactory(survey=anon_survey, invitation=invitation, customer=anna, contact_email=anna.email)
    named = ResponseFactory()
    Invitation.objects.update(answered=False)
    # Found by its name, whatever number it gets when branches are merged.
    (name,) = [
        m.name for m in pkgutil.iter_modules(migrations.__path__) if m.name.endswith("_anonymous_answers_unlinked")
    ]
    migration = importlib.import_module(f"surveys.migrations.{name}")

    migration.forwards(django_apps, None)

    old.refresh_from_db()
    assert (old.invitation_id, old.customer_id, old.contact_email) == (None, None, "")
    _assert_no_way_back([old], anna, invitation)
    assert Invitation.objects.filter(answered=True).count() == 2
    named.refresh_from_db()
    assert named.invitation_id is not None and named.customer_id is not None


# --- Log lines -------------------------------------------------------------------------------------------


def test_django_log_lines_mask_the_personal_link(client, anon_survey, anna, caplog):
    invitation = services.invitation_create(survey=anon_survey, customer=anna)
    # The handler settings.LOGGING gives every log line masks links too.
    consoles = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    caplog.set_level(logging.WARNING, logger="django.request")
    caplog.handler.addFilter(RedactPersonalLinks())
    # An invalid post is logged by Django ("Bad Request: /s/<token>/"), seconds before the answer.
    assert _answer(client, invitation, score="eleven").status_code == 400
    assert "Bad Request: /s/…/" in caplog.text
    assert invitation.token not in caplog.text
    assert consoles and all(any(isinstance(f, RedactPersonalLinks) for f in h.filters) for h in consoles)


def test_gunicorn_access_log_masks_the_personal_link():
    from gunicorn.config import Config

    from npsapp.logredact import GunicornLogger

    token = "A" * 43
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/s/{token}/",
        "PATH_INFO": f"/s/{token}/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://surveys.example.com/s/{token}/?score=2",
    }
    logger = GunicornLogger(Config())
    assert any(isinstance(f, RedactPersonalLinks) for f in logger.error_log.filters)
    atoms = logger.atoms(
        mock.Mock(status="302 Found", sent=0, headers=[]), [("REFERER", environ["HTTP_REFERER"])], environ, timedelta(0)
    )
    assert token not in json.dumps(atoms, default=str)
    assert atoms["r"] == "POST /s/…/ HTTP/1.1"
