"""Dates read the same way in every country: month in letters, 24-hour clock, and the zone for customers."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from followups.models import Ticket
from npsapp.dates import datetime_with_zone
from surveys import services
from surveys.invitation_email import invitation_email_send
from tests.factories import CustomerFactory, SurveyFactory
from tests.followups.factories import open_case

WINTER = dt.datetime(2026, 12, 7, 12, 30, tzinfo=dt.UTC)  # 13:30 in Paris (CET)
SUMMER = dt.datetime(2026, 7, 7, 12, 30, tzinfo=dt.UTC)  # 14:30 in Paris (CEST)


@pytest.mark.parametrize(
    ("language", "moment", "shown"),
    [
        ("en", WINTER, "7 Dec 2026, 13:30 CET"),
        ("fr", WINTER, "7 déc. 2026, 13:30 CET"),
        ("en", SUMMER, "7 Jul 2026, 14:30 CEST"),
        ("fr", SUMMER, "7 juil. 2026, 14:30 CEST"),
    ],
)
def test_a_customer_reads_the_date_time_and_zone(language, moment, shown):
    with translation.override(language):
        assert datetime_with_zone(moment) == shown
        assert Template("{{ d|datetime_with_zone }}").render(Context({"d": moment})) == shown


@pytest.mark.parametrize(("language", "shown"), [("en", "7 Dec 2026, 13:30"), ("fr", "7 déc. 2026, 13:30")])
def test_staff_formats_are_never_us_numeric(language, shown):
    with translation.override(language):
        template = Template('{{ d|date:"SHORT_DATETIME_FORMAT" }}|{{ d|date:"DATETIME_FORMAT" }}|{{ d }}')
        assert template.render(Context({"d": WINTER})) == f"{shown}|{shown}|{shown}"


@pytest.mark.parametrize(
    ("language", "until"),
    [("en", "until 8 Dec 2026, 13:30 CET"), ("fr", "jusqu'au 8 déc. 2026, 13:30 CET")],
)
def test_the_correction_deadline_on_the_survey_page_has_its_zone(db, client, language, until):
    invitation = services.invitation_create(survey=SurveyFactory(), customer=CustomerFactory(language=language))
    with time_machine.travel(WINTER, tick=False):
        services.response_submit(invitation=invitation, score=8)
        page = client.get(reverse("surveys:respond", args=[invitation.token])).content.decode()
        thanks = client.get(reverse("surveys:thanks", args=[invitation.token])).content.decode()
    assert until in page
    assert until.split(" ", 1)[1] in thanks


@pytest.mark.parametrize(
    ("language", "until"), [("en", "until 6 Jan 2027, 13:30 CET"), ("fr", "jusqu'au 6 jan. 2027, 13:30 CET")]
)
def test_the_invitation_email_gives_the_links_expiry_with_its_zone(db, language, until):
    with time_machine.travel(WINTER, tick=False):
        invitation = services.invitation_create(survey=SurveyFactory(), customer=CustomerFactory(language=language))
        invitation_email_send(invitation=invitation)
    message = mail.outbox[-1]
    assert until in message.body
    assert until.replace("'", "&#x27;") in message.alternatives[0][0] or until in message.alternatives[0][0]


@pytest.mark.parametrize(("language", "shown"), [("en", "7 Dec 2026, 13:30"), ("fr", "7 déc. 2026, 13:30")])
def test_the_case_page_shows_the_deadline_unambiguously(db, client, manager, language, shown):
    ticket = open_case(score=2)
    Ticket.objects.filter(pk=ticket.pk).update(first_contact_due_at=WINTER)
    client.force_login(manager)
    page = client.get(reverse("followups:ticket", args=[ticket.public_id]), HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert shown in html
    assert "12/07/2026" not in html and "p.m." not in html
