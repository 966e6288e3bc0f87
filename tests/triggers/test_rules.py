"""Trigger rules: surveys sent by themselves after a purchase or a customer event, once, through
the consent gate, in the customer's weekday morning."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from npsapp.celery import app as celery_app
from surveys.models import Invitation
from tests.factories import CustomerFactory, InvitationFactory, PurchaseFactory
from tests.triggers.factories import TriggerRuleFactory
from triggers import selectors
from triggers.models import TriggerFire, TriggerRule
from triggers.tasks import triggers_evaluate_task

pytestmark = pytest.mark.django_db

# Monday 6 April 2026, 15:00 UTC (17:00 in Paris, the site's time zone in the tests).
MONDAY = datetime(2026, 4, 6, 15, 0, tzinfo=UTC)


def travel(moment):
    return time_machine.travel(moment, tick=False)


def beat() -> dict:
    return triggers_evaluate_task()


def _bought(*, at=MONDAY, customer=None, **fields):
    return PurchaseFactory(purchased_at=at, customer=customer or CustomerFactory(), **fields)


def test_the_beat_schedule_runs_the_rules():
    entry = settings.CELERY_BEAT_SCHEDULE["triggers-evaluate"]
    assert entry["task"] in celery_app.tasks
    tasks = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "followups.tasks.tickets_resurvey_task" not in tasks  # one path: the rules


def test_a_purchase_rule_sends_once_in_the_next_weekday_morning():
    rule = TriggerRuleFactory(kind="purchase", delay_days=3)
    purchase = _bought()
    # Due Thursday 17:00 in Paris: after the morning window, so it waits for Friday 09:00.
    with travel(MONDAY + timedelta(days=3)):
        assert beat()["sent"] == 0
    fire = TriggerFire.objects.get()
    assert (fire.purchase, fire.status, fire.send_after) == (purchase, "waiting", datetime(2026, 4, 10, 7, tzinfo=UTC))
    with travel(datetime(2026, 4, 10, 6, 59, tzinfo=UTC)):
        assert beat()["sent"] == 0
    with travel(datetime(2026, 4, 10, 7, 0, tzinfo=UTC)):
        assert beat()["sent"] == 1
        assert beat()["sent"] == 0  # the beat twice: nothing twice
    with travel(datetime(2026, 4, 10, 8, 0, tzinfo=UTC)):
        assert beat()["sent"] == 0
    invitation = Invitation.objects.get()
    assert (invitation.survey, invitation.customer, invitation.is_resurvey) == (
        rule.survey,
        purchase.customer,
        False,
    )
    assert invitation.delivery_status == "sent"
    assert [m.to for m in mail.outbox] == [[purchase.customer.email]]
    assert invitation.token in mail.outbox[0].body
    assert selectors.rule_outcomes(rule=rule) == {"sent": 1, "waiting": 0, "skipped": []}


def test_a_fire_due_on_friday_afternoon_waits_for_monday_morning():
    TriggerRuleFactory(kind="purchase", delay_days=4)
    _bought()  # due Friday 17:00 in Paris
    for moment in (
        MONDAY + timedelta(days=4),
        datetime(2026, 4, 11, 8, tzinfo=UTC),
        datetime(2026, 4, 12, 8, tzinfo=UTC),
    ):
        with travel(moment):
            assert beat()["sent"] == 0
    with travel(datetime(2026, 4, 13, 7, 30, tzinfo=UTC)):
        assert beat()["sent"] == 1


def test_the_window_is_the_customer_own_morning():
    TriggerRuleFactory(kind="purchase", delay_days=3)
    customer = CustomerFactory(custom_attributes={"time_zone": "America/New_York"})
    _bought(at=datetime(2026, 4, 6, 8, 0, tzinfo=UTC), customer=customer)
    # Thursday 10:00 in Paris is 04:00 in New York: wait for 09:00 there, 13:00 UTC.
    with travel(datetime(2026, 4, 9, 8, 0, tzinfo=UTC)):
        assert beat()["sent"] == 0
    assert TriggerFire.objects.get().send_after == datetime(2026, 4, 9, 13, 0, tzinfo=UTC)
    with travel(datetime(2026, 4, 9, 13, 0, tzinfo=UTC)):
        assert beat()["sent"] == 1


def test_a_beat_that_comes_late_does_not_send_outside_the_window():
    TriggerRuleFactory(kind="purchase", delay_days=3)
    _bought()
    with travel(MONDAY + timedelta(days=3)):
        assert beat()["waiting"] == 0  # claimed, waiting for Friday morning
    # The beat was stopped on Friday morning; it comes back in the afternoon: not now, Monday.
    with travel(datetime(2026, 4, 10, 16, 0, tzinfo=UTC)):
        assert beat() == {"sent": 0, "skipped": 0, "waiting": 1}
    assert TriggerFire.objects.get().send_after == datetime(2026, 4, 13, 7, 0, tzinfo=UTC)
    assert mail.outbox == []
    with travel(datetime(2026, 4, 13, 7, 0, tzinfo=UTC)):
        assert beat()["sent"] == 1


def test_send_any_time_sends_as_soon_as_due():
    TriggerRuleFactory(kind="purchase", delay_days=3, send_any_time=True)
    _bought()
    with travel(MONDAY + timedelta(days=3)):
        assert beat()["sent"] == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("customer", "reason", "label"),
    [
        ({"surveys_opted_out_at": MONDAY}, "unsubscribed", "Unsubscribed from surveys"),
        ({"email": ""}, "no_email", "No email address"),
        ({"erased_at": MONDAY}, "erased", "Personal data erased"),
    ],
)
def test_the_consent_gate_refuses_and_the_rule_says_why(customer, reason, label):
    rule = TriggerRuleFactory(kind="purchase", delay_days=3, send_any_time=True)
    _bought(customer=CustomerFactory(**customer))
    _bought()
    with travel(MONDAY + timedelta(days=3)):
        assert beat() == {"sent": 1, "skipped": 1, "waiting": 0}
        assert beat() == {"sent": 0, "skipped": 0, "waiting": 0}
    assert len(mail.outbox) == 1
    assert TriggerFire.objects.filter(status="skipped").get().reason == reason
    assert selectors.rule_outcomes(rule=rule) == {"sent": 1, "waiting": 0, "skipped": [(label, 1)]}


def test_contact_fatigue_holds_back_a_purchase_survey():
    TriggerRuleFactory(kind="purchase", delay_days=3, send_any_time=True)
    customer = CustomerFactory()
    InvitationFactory(customer=customer, created_at=MONDAY)  # another survey, three days before
    _bought(customer=customer)
    with travel(MONDAY + timedelta(days=3)):
        assert beat()["skipped"] == 1
    assert TriggerFire.objects.get().reason == "recently_invited"
    assert mail.outbox == []


def test_two_purchases_of_one_customer_get_one_survey():
    TriggerRuleFactory(kind="purchase", delay_days=3, send_any_time=True)
    customer = CustomerFactory()
    _bought(customer=customer)
    _bought(customer=customer, at=MONDAY + timedelta(hours=1))
    with travel(MONDAY + timedelta(days=3, hours=1)):
        assert beat() == {"sent": 1, "skipped": 1, "waiting": 0}
    assert len(mail.outbox) == 1


def test_categories_and_channels_narrow_a_rule():
    TriggerRuleFactory(
        kind="purchase", delay_days=3, send_any_time=True, product_categories="Lighting\nGarden\n", channels="web"
    )
    wanted = [
        _bought(product_category="Lighting", channel="web"),
        _bought(product_category="Garden", channel="web"),
    ]
    _bought(product_category="Lighting", channel="store")
    _bought(product_category="Kitchen", channel="web")
    with travel(MONDAY + timedelta(days=3)):
        assert beat()["sent"] == 2
    assert sorted(TriggerFire.objects.values_list("purchase_id", flat=True)) == sorted(p.id for p in wanted)


def test_inactive_rules_and_old_purchases_send_nothing():
    TriggerRuleFactory(kind="purchase", delay_days=3, send_any_time=True, is_active=False)
    _bought()
    TriggerRuleFactory(kind="purchase", delay_days=3, send_any_time=True)
    with travel(MONDAY + timedelta(days=3 + selectors.CATCH_UP_DAYS, minutes=1)):
        assert beat()["sent"] == 0
    assert not TriggerFire.objects.exists()


# --- A custom event posted through the API --------------------------------------------------------


@pytest.fixture
def api(admin_user):
    from rest_framework.test import APIClient

    from integrations.choices import TokenScope
    from integrations.services import api_token_create

    client = APIClient()
    key = api_token_create(name="shop", scope=TokenScope.WRITE, created_by=admin_user)[1]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_custom_event_posted_through_the_api_triggers_its_rule(api):
    customer = CustomerFactory(external_id="C1")
    other = CustomerFactory(external_id="C2")
    url = reverse("api:customer-events", args=["C1"])
    event = {"kind": "order_delivered", "occurred_at": "2026-04-06T15:00:00Z"}
    with travel(MONDAY + timedelta(minutes=5)):
        # No rule waits for this kind yet: refused as a typo would be.
        assert api.post(url, event, "json").status_code == 400
        rule = TriggerRuleFactory(kind="event", event_kind="order_delivered", delay_days=1, send_any_time=True)
        TriggerRuleFactory(kind="event", event_kind="order_returned", delay_days=1, send_any_time=True)
        assert api.post(url, event, "json").status_code == 201
        bulk = [{**event, "customer_external_id": "C2", "kind": "site_visit"}]
        assert api.post(reverse("api:events-bulk"), bulk, "json").status_code == 201
    with travel(MONDAY + timedelta(days=1, minutes=5)):
        assert beat()["sent"] == 1
        assert beat()["sent"] == 0
    assert [m.to for m in mail.outbox] == [[customer.email]]
    fire = TriggerFire.objects.get()
    assert (fire.rule, fire.customer, fire.event.kind) == (rule, customer, "order_delivered")
    assert not TriggerFire.objects.filter(customer=other).exists()


# --- The rule shows what it did -------------------------------------------------------------------


def test_the_admin_shows_what_a_rule_sent_and_skipped(client, admin_user, django_assert_num_queries):
    rule = TriggerRuleFactory(kind="purchase", delay_days=3, send_any_time=True)
    _bought()
    _bought(customer=CustomerFactory(surveys_opted_out_at=MONDAY))
    with travel(MONDAY + timedelta(days=3)):
        beat()
    client.force_login(admin_user)
    html = client.get(reverse("admin:triggers_triggerrule_change", args=[rule.id])).content.decode()
    assert "Skipped: Unsubscribed from surveys" in html
    listing = reverse("admin:triggers_triggerrule_changelist")
    client.get(listing)
    with django_assert_num_queries(7):
        html = client.get(listing).content.decode()
    TriggerRuleFactory.create_batch(3, kind="event", event_kind="order_delivered")
    with django_assert_num_queries(7):
        client.get(listing)
    assert '<td class="field-sent">1</td>' in html and '<td class="field-skipped">1</td>' in html


def test_the_admin_refuses_an_event_rule_without_its_kind(client, admin_user):
    rule = TriggerRuleFactory(kind="purchase")
    client.force_login(admin_user)
    reply = client.post(
        reverse("admin:triggers_triggerrule_add"),
        {"survey": rule.survey_id, "kind": "event", "delay_days": 1, "is_active": "on", "event_kind": ""},
    )
    assert reply.status_code == 200
    assert "Name the event kind this rule waits for." in reply.content.decode()


# --- A new survey starts with its recovery rule ---------------------------------------------------


def test_a_survey_created_in_the_admin_gets_its_recovery_rule(client, admin_user):
    from tests.factories import BrandFactory

    client.force_login(admin_user)
    data = {
        "name": "After delivery",
        "brand": BrandFactory().id,
        "is_active": "on",
        "first_contact_hours": 48,
        "link_valid_days": 30,
        "reminder_after_days": 3,
        "sla_clock": "elapsed",
        "first_contact_days": 2,
        "warning_lead_hours": 4,
    }
    assert client.post(reverse("admin:surveys_survey_add"), data).status_code == 302
    rule = TriggerRule.objects.get()
    assert (rule.survey.name, rule.kind, rule.delay_days, rule.is_active) == (
        "After delivery",
        "case_resolved",
        14,
        True,
    )
    survey = rule.survey
    assert client.post(reverse("admin:surveys_survey_change", args=[survey.id]), data).status_code == 302
    assert TriggerRule.objects.count() == 1  # a change adds none


def test_two_beats_holding_the_same_fire_send_it_once():
    from triggers import services

    # No contact fatigue on this survey: only the claim keeps the second beat from sending.
    rule = TriggerRuleFactory(kind="purchase", delay_days=3, send_any_time=True, survey__contact_fatigue_days=0)
    _bought()
    moment = MONDAY + timedelta(days=3)
    with travel(moment):
        assert services.rule_claim_due(rule=rule, now=moment) == 1
        assert services.rule_claim_due(rule=rule, now=moment) == 0
        first, second = TriggerFire.objects.get(), TriggerFire.objects.get()  # both read it waiting
        assert services.fire_send(fire=first, now=moment) == "sent"
        assert services.fire_send(fire=second, now=moment) == ""
    assert len(mail.outbox) == 1 and Invitation.objects.count() == 1


def test_the_staff_page_shows_each_rule_and_why_it_skipped(client, manager, agent, django_assert_num_queries):
    rule = TriggerRuleFactory(kind="purchase", delay_days=3, send_any_time=True, product_categories="Lighting")
    _bought()
    _bought(customer=CustomerFactory(surveys_opted_out_at=MONDAY))
    with travel(MONDAY + timedelta(days=3)):
        beat()
    url = reverse("triggers:list")
    client.force_login(agent)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    client.get(url)
    with django_assert_num_queries(5):
        html = client.get(url).content.decode()
    assert rule.survey.name in html and "Lighting" in html
    assert "Unsubscribed from surveys: 1" in html
    TriggerRuleFactory.create_batch(3, kind="event", event_kind="order_delivered")
    with django_assert_num_queries(5):
        client.get(url)
    assert "Triggered surveys" in client.get(reverse("campaigns:list")).content.decode()


def test_the_staff_page_speaks_french(client, manager):
    TriggerRuleFactory(kind="purchase", delay_days=3)
    client.force_login(manager)
    html = client.get(reverse("triggers:list"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Enquêtes déclenchées" in html and "Après un achat, 3 jours plus tard" in html
    assert "Matins de semaine, heure du client" in html
