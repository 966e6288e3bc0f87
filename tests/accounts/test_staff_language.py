"""Each staff user chooses the language of the emails the app sends them; every staff notification uses it."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import StaffProfile
from accounts.selectors import staff_language
from accounts.services import staff_language_set
from followups import services as followups
from followups.tasks import tickets_check_deadlines_task
from reporting.digest import digest_send_weekly
from tests.factories import ResponseFactory
from tests.followups.factories import open_case

SETTINGS = reverse("accounts:settings")
T0 = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)  # a Tuesday, noon in Paris


def test_a_user_sets_their_language_on_their_settings_page(client, agent):
    client.force_login(agent)
    assert staff_language(agent) == "en"
    page = client.get(SETTINGS)
    assert page.status_code == 200 and 'name="language"' in page.content.decode()
    assert client.post(SETTINGS, {"language": "fr"}).status_code == 302
    assert staff_language(agent) == "fr"
    assert client.post(SETTINGS, {"language": "xx"}).status_code == 400
    assert staff_language(agent) == "fr"


def test_the_settings_page_needs_a_login(client, db):
    assert client.get(SETTINGS).status_code == 302


def test_an_admin_sets_it_in_the_user_admin(admin_client, agent):
    page = admin_client.get(reverse("admin:auth_user_change", args=[agent.pk]))
    assert "staff_profile-0-language" in page.content.decode()


def test_deadline_warnings_and_breaches_speak_the_recipients_language(db, agent, manager):
    agent.email, manager.email = "alice@example.com", "maria@example.com"
    agent.save()
    manager.save()
    staff_language_set(user=agent, language="fr")
    with time_machine.travel(T0, tick=False):
        ticket = open_case(score=2)
        followups.ticket_claim(ticket=ticket, actor=agent)
    with time_machine.travel(ticket.first_contact_due_at - timedelta(hours=1), tick=False):
        tickets_check_deadlines_task()
    with time_machine.travel(ticket.first_contact_due_at + timedelta(minutes=1), tick=False):
        tickets_check_deadlines_task()
    by_recipient = {m.to[0]: m.subject for m in mail.outbox}
    assert "premier contact attendu" in by_recipient["alice@example.com"]
    assert "missed its first-contact deadline" in by_recipient["maria@example.com"]  # Maria kept English


def test_the_weekly_digest_speaks_each_managers_language(db, manager, admin_user):
    manager.email, admin_user.email = "maria@example.com", "root@example.com"
    manager.save()
    admin_user.save()
    StaffProfile.objects.create(user=manager, language="fr")
    with time_machine.travel(datetime(2025, 3, 10, 6, 0, tzinfo=UTC), tick=False):
        ResponseFactory(score=9, submitted_at=datetime(2025, 3, 5, 12, 0, tzinfo=UTC))
        assert digest_send_weekly() == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert "Synthèse NPS" in by_recipient["maria@example.com"].body
    assert "Weekly NPS digest" in by_recipient["root@example.com"].body
