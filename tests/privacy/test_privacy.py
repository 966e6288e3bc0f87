import json
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from conversations import services as conversation_services
from conversations.models import Message
from crm.models import Customer, CustomerEvent
from followups import services as followup_services
from followups.models import Ticket, TicketEvent
from privacy import services
from privacy.models import PrivacyEvent
from privacy.tasks import responses_retention_task
from reporting import rollup
from reporting.followup_metrics import followup_report
from reporting.models import DailyNps
from reporting.reports import build_dashboard
from surveys import selectors
from surveys import services as survey_services
from surveys.filters import ResponseFilter
from surveys.models import Invitation, Response, ResponseRevision, ResponseTheme, Theme, ThemeSource
from tests.factories import CustomerFactory, PurchaseFactory, ResponseFactory, SurveyFactory

COMMENT = "Jeanne Moreau here: the lamp arrived broken, call me on 06 12 34 56 78"
NOTE = "Spoke to Jeanne at 8 rue des Lilas, she wants a refund"
CONTACT_TEXT = "Left a voicemail for Jeanne on 06 12 34 56 78"
EMAIL_TEXT = "we are sending a new lamp to 8 rue des Lilas"
PERSONAL = ("jeanne@example.com", "Jeanne", "Moreau", "06 12 34 56 78", "Lyon", "JM-1984", "gold-vip", "Lilas")


@pytest.fixture
def rich_customer(survey, manager, agent):
    """A customer with something in every table: profile, purchases, events, answers, a worked case."""
    customer = CustomerFactory(
        external_id="JM-1984",
        first_name="Jeanne",
        last_name="Moreau",
        email="jeanne@example.com",
        phone="06 12 34 56 78",
        birth_year=1984,
        city="Lyon",
        region="Auvergne-Rhône-Alpes",
        age_band="35-49",
        gender="female",
        plan="premium",
        customer_since=date(2020, 5, 4),
        custom_attributes={"loyalty_card": "gold-vip"},
        account_owner=manager,
    )
    PurchaseFactory(customer=customer, amount=Decimal("120.50"), product_category="Lighting")
    PurchaseFactory(customer=customer, amount=Decimal("15.00"), product_category="Bulbs")
    CustomerEvent.objects.create(
        customer=customer, kind="cart_abandoned", occurred_at=timezone.now(), details={"note": "Jeanne's wishlist"}
    )
    detractor = ResponseFactory(
        score=2,
        comment=COMMENT,
        survey=survey,
        invitation__survey=survey,
        invitation__customer=customer,
        customer=customer,
        submitted_at=timezone.now() - timedelta(days=20),
    )
    theme = Theme.objects.create(name="Delivery")
    ResponseTheme.objects.create(response=detractor, theme=theme, source=ThemeSource.RULE)
    ticket = followup_services.ticket_open_for_response(response=detractor)
    followup_services.ticket_assign(ticket=ticket, actor=manager, assignee=agent)
    ticket.reason = "Jeanne Moreau stopped buying"
    ticket.save(update_fields=["reason"])
    with time_machine.travel(timezone.now() - timedelta(days=19)):
        followup_services.ticket_mark_contacted(ticket=ticket, actor=agent, channel="phone", body=CONTACT_TEXT)
        followup_services.ticket_add_note(ticket=ticket, actor=agent, body=NOTE)
        conversation_services.message_reply_send(
            ticket=ticket, actor=agent, subject="Your order, Jeanne", body=f"Dear Jeanne Moreau, {EMAIL_TEXT}"
        )
        followup_services.ticket_resolve(ticket=ticket, actor=agent, outcome="recovered")
    # Re-surveyed after the case: came back as a promoter (the recovery rate follows this).
    resurvey = ResponseFactory(
        score=9,
        comment="Much better, thanks Jeanne",
        survey=survey,
        invitation__survey=survey,
        invitation__customer=customer,
        customer=customer,
        submitted_at=timezone.now() - timedelta(days=5),
    )
    Ticket.objects.filter(id=ticket.id).update(resurvey_invitation=resurvey.invitation)
    followup_services.ticket_open_for_response(response=resurvey)
    # A link not answered yet, still open.
    Invitation.objects.create(survey=survey, customer=customer)
    return customer


@pytest.fixture
def bystander(survey):
    """Someone else, whose data must not be touched."""
    customer = CustomerFactory(first_name="Paul", last_name="Durand", email="paul@example.com", age_band="18-24")
    response = ResponseFactory(
        score=4,
        comment="Paul: too slow",
        survey=survey,
        invitation__survey=survey,
        invitation__customer=customer,
        customer=customer,
        submitted_at=timezone.now() - timedelta(days=3),
    )
    followup_services.ticket_open_for_response(response=response)
    return customer


def _dump_of(customer_id: int) -> str:
    """Every row still reachable from the customer, as text, for searching personal data."""
    ticket_ids = Ticket.objects.filter(customer_id=customer_id).values("id")
    rows = [
        list(Customer.objects.filter(id=customer_id).values()),
        list(Response.objects.filter(customer_id=customer_id).values()),
        list(Response.objects.filter(invitation__customer_id=customer_id).values()),
        list(Invitation.objects.filter(customer_id=customer_id).values()),
        list(CustomerEvent.objects.filter(customer_id=customer_id).values()),
        list(Ticket.objects.filter(customer_id=customer_id).values()),
        list(TicketEvent.objects.filter(ticket_id__in=ticket_ids).values()),
        list(PrivacyEvent.objects.filter(customer_id=customer_id).values()),
    ]
    return str(rows)


def _aggregates() -> dict:
    """What the dashboard and the reports count, read the way they read it."""
    today = timezone.localdate()
    base = ResponseFilter(start=today - timedelta(days=60), end=today, today=today)
    rollup.rollup_refresh()
    figures = {
        "nps": selectors.nps_summary(),
        "rollup": sorted(DailyNps.objects.values_list("day", "survey_id", "channel", *DailyNps.SCORE_FIELDS)),
        "followups": asdict(followup_report(tickets=Ticket.objects.all(), now=timezone.now()).total),
    }
    for dimension in ("age_band", "gender", "region", "plan", "tenure", "category"):
        dashboard = build_dashboard(replace(base, dimension=dimension))
        figures[dimension] = [(row.label, row.result.n, row.result.score) for row in dashboard.breakdown]
    # Relationship NPS: each customer's latest answer only, which follows the customer link.
    figures["latest_only"] = build_dashboard(replace(base, latest_only=True, dimension="age_band")).breakdown
    segment = replace(base, age_band="35-49", plan="premium", region="Auvergne-Rhône-Alpes")
    figures["segment"] = build_dashboard(segment).current
    return figures


# --- Export -----------------------------------------------------------------------------------


def test_export_holds_everything_about_the_customer(rich_customer, bystander, agent, admin_user):
    data = services.customer_export(customer=rich_customer, actor=admin_user)

    text = json.dumps(data)  # plain JSON, no encoder needed
    profile = data["customer"]
    assert profile["email"] == "jeanne@example.com"
    assert (profile["phone"], profile["birth_year"], profile["city"]) == ("06 12 34 56 78", 1984, "Lyon")
    assert profile["custom_attributes"] == {"loyalty_card": "gold-vip"}
    assert profile["customer_since"] == "2020-05-04"
    assert profile["public_id"] == str(rich_customer.public_id)
    assert profile["account_owner"] == "maria"
    assert sorted(p["amount"] for p in data["purchases"]) == ["120.50", "15.00"]
    assert [(e["kind"], e["details"]) for e in data["events"]] == [("cart_abandoned", {"note": "Jeanne's wishlist"})]
    assert [(i["survey"], i["answered"]) for i in data["invitations"]] == [
        ("Post-purchase", True),
        ("Post-purchase", True),
        ("Post-purchase", False),
    ]
    for invitation in Invitation.objects.filter(customer=rich_customer):
        assert invitation.token not in text  # a key to answer, not information about them
    first, second = data["responses"]
    assert (first["score"], first["comment"], first["themes"]) == (2, COMMENT, ["Delivery"])
    assert second["score"] == 9
    (case,) = data["cases"]
    assert (case["status"], case["outcome"], case["assignee"]) == ("resolved", "recovered", "alice")
    assert case["reason"] == "Jeanne Moreau stopped buying"
    bodies = [event["body"] for event in case["timeline"] if event["body"]]
    assert bodies == [CONTACT_TEXT, NOTE, "Your order, Jeanne"]  # the last: the email's subject, on contact
    (message,) = case["messages"]
    assert (message["direction"], message["by"]) == ("out", "alice")
    assert EMAIL_TEXT in message["body"]
    # The manager assigned it, alice worked it, the system recorded the re-survey's answer.
    assert {event["by"] for event in case["timeline"] if event["kind"] != "opened"} == {"maria", "alice", None}
    assert "Paul" not in text and "paul@example.com" not in text

    audit = PrivacyEvent.objects.get(action="export")
    assert (audit.customer, audit.actor) == (rich_customer, admin_user)
    assert data["privacy_log"] == []  # the log as it was before this export


def test_export_reads_a_fixed_number_of_queries(rich_customer, survey, agent, admin_user, django_assert_num_queries):
    with django_assert_num_queries(14):
        services.customer_export(customer=rich_customer, actor=admin_user)
    # Twice as much of everything: still the same number of queries.
    for day in range(3):
        PurchaseFactory(customer=rich_customer)
        response = ResponseFactory(
            score=1,
            survey=survey,
            invitation__survey=survey,
            invitation__customer=rich_customer,
            customer=rich_customer,
        )
        ticket = followup_services.ticket_open_for_response(response=response)
        followup_services.ticket_add_note(ticket=ticket, actor=agent, body=f"note {day}")
    with django_assert_num_queries(14):
        data = services.customer_export(customer=rich_customer, actor=admin_user)
    assert (len(data["responses"]), len(data["cases"]), len(data["privacy_log"])) == (5, 4, 1)


def test_export_of_a_customer_holds_no_anonymous_answer_they_gave(customer, admin_user):
    # Nothing leads from an anonymous answer back to its customer, so their export cannot hold it
    # (before: the answer was found through its invitation).
    anonymous = SurveyFactory(is_anonymous=True)
    invitation = survey_services.invitation_create(survey=anonymous, customer=customer)
    survey_services.response_submit(invitation=invitation, score=5, comment="anonymous words")
    data = services.customer_export(customer=customer, actor=admin_user)
    assert data["responses"] == []
    assert [i["answered"] for i in data["invitations"]] == [True]


# --- Erasure ----------------------------------------------------------------------------------


def test_erase_removes_identity_from_customer_answers_and_cases(rich_customer, bystander, admin_user):
    before = _dump_of(rich_customer.id)
    assert all(value in before for value in PERSONAL)

    services.customer_erase(customer=rich_customer, actor=admin_user)

    after = _dump_of(rich_customer.id)
    assert [value for value in PERSONAL if value in after] == []
    assert COMMENT not in after and NOTE not in after and CONTACT_TEXT not in after
    assert EMAIL_TEXT not in after and "Jeanne" not in str(
        list(Message.objects.values_list("subject", "body", "email"))
    )
    customer = Customer.objects.get(id=rich_customer.id)
    assert customer.erased_at is not None
    assert customer.external_id == f"erased-{customer.public_id}"
    assert (customer.email, customer.full_name, customer.phone, customer.birth_year) == ("", "", "", None)
    assert (customer.custom_attributes, customer.account_owner) == ({}, None)
    # Coarse segments kept for the breakdowns.
    assert (customer.age_band, customer.gender, customer.plan) == ("35-49", "female", "premium")
    assert customer.customer_since == date(2020, 5, 4)
    # Answers stay linked to the anonymous customer, scores and themes kept, words gone.
    assert sorted(customer.responses.values_list("score", "comment")) == [(2, ""), (9, "")]
    assert ResponseTheme.objects.filter(response__customer=customer).count() == 1
    ticket = Ticket.objects.get(customer=customer)
    assert ticket.reason == ""
    # The phone call, the note and the email's subject on the contact event.
    assert sorted(ticket.events.exclude(body="").values_list("body", flat=True)) == [services.REDACTED] * 3
    assert ticket.events.filter(field="assignee", new_value="alice").exists()  # staff names stay
    # Every survey link is dead, and the event keeps only its kind and date.
    assert not Invitation.objects.filter(customer=customer, expires_at__gt=timezone.now()).exists()
    assert list(customer.events.values_list("kind", "details")) == [("cart_abandoned", {})]
    assert customer.purchases.count() == 2
    # Somebody else's data is untouched.
    assert Response.objects.get(customer=bystander).comment == "Paul: too slow"
    assert Customer.objects.get(id=bystander.id).email == "paul@example.com"


def test_erase_keeps_every_aggregate(rich_customer, bystander, admin_user):
    rollup.rollup_rebuild()
    before = _aggregates()
    assert before["nps"].n == 3 and before["followups"]["came_back"] == 1  # not a vacuous comparison

    services.customer_erase(customer=rich_customer, actor=admin_user)

    assert _aggregates() == before
    rollup.rollup_rebuild()
    assert _aggregates() == before


def test_erase_is_audited_without_personal_data(rich_customer, admin_user):
    from crm.services.customers import external_id_digest

    original_external_id = rich_customer.external_id
    services.customer_erase(customer=rich_customer, actor=admin_user)

    audit = PrivacyEvent.objects.get(action="erase")
    assert (audit.actor, audit.customer_id) == (admin_user, rich_customer.id)
    assert audit.details == {
        "responses_redacted": 2,
        "earlier_answers_redacted": 0,
        "messages_redacted": 1,
        "loop_addresses_removed": 0,
        "case_texts_redacted": 3,
        "at_risk_flags": 0,
        "case_reasons_blanked": 1,
        "event_details_removed": 1,
        "invitations_expired": 3,
        "webhook_payloads_redacted": 0,
        "external_id_digest": external_id_digest(original_external_id),
    }
    assert [value for value in PERSONAL if value in str(PrivacyEvent.objects.values())] == []


def test_erasing_twice_is_harmless(rich_customer, admin_user):
    services.customer_erase(customer=rich_customer, actor=admin_user)
    erased_at = Customer.objects.get(id=rich_customer.id).erased_at
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        services.customer_erase(customer=Customer.objects.get(id=rich_customer.id), actor=admin_user)

    customer = Customer.objects.get(id=rich_customer.id)
    assert customer.erased_at == erased_at
    assert customer.external_id == f"erased-{customer.public_id}"
    second = PrivacyEvent.objects.filter(action="erase").order_by("created_at").last()
    assert set(second.details.values()) == {0}
    assert TicketEvent.objects.filter(body=services.REDACTED).count() == 3


def test_an_import_cannot_fill_an_erased_customer_back_in(rich_customer, admin_user):
    services.customer_erase(customer=rich_customer, actor=admin_user)
    assert not Customer.objects.filter(external_id="JM-1984").exists()
    # The old id is free: an import that sees it again makes a new, separate customer.
    again = CustomerFactory(external_id="JM-1984")
    assert again.id != rich_customer.id


def test_erase_reaches_answers_to_anonymous_surveys(customer, admin_user):
    anonymous = SurveyFactory(is_anonymous=True)
    response = ResponseFactory(
        score=1,
        comment="Jeanne, angry",
        survey=anonymous,
        invitation__survey=anonymous,
        invitation__customer=customer,
        customer=None,
    )
    services.customer_erase(customer=customer, actor=admin_user)
    response.refresh_from_db()
    assert (response.score, response.comment) == (1, "")


# --- Retention --------------------------------------------------------------------------------


def _answer_at(at, *, survey, comment="Old words of Jeanne", score=3):
    customer = CustomerFactory()
    response = ResponseFactory(
        score=score,
        comment=comment,
        survey=survey,
        invitation__survey=survey,
        invitation__customer=customer,
        customer=customer,
        submitted_at=at,
    )
    return response


def test_retention_anonymises_only_answers_older_than_the_period(survey, agent):
    now = datetime(2026, 6, 15, 12, tzinfo=UTC)
    old = _answer_at(now - timedelta(days=370), survey=survey)
    recent = _answer_at(now - timedelta(days=330), survey=survey)
    ticket = followup_services.ticket_open_for_response(response=old)
    followup_services.ticket_add_note(ticket=ticket, actor=agent, body=NOTE)
    conversation_services.message_reply_send(ticket=ticket, actor=agent, subject="Hello Jeanne", body=EMAIL_TEXT)
    ResponseRevision.objects.create(
        response=old, score=1, comment="First words of Jeanne", answered_at=old.submitted_at
    )
    old_invitation_id = old.invitation_id
    nps_before = selectors.nps_summary()

    with time_machine.travel(now, tick=False):
        assert services.responses_anonymise_older_than(months=12) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.score, old.comment, old.customer_id, old.invitation_id) == (3, "", None, None)
    assert (recent.comment, recent.customer_id is not None) == ("Old words of Jeanne", True)
    ticket.refresh_from_db()
    assert ticket.customer_id is None
    assert set(ticket.events.exclude(body="").values_list("body", flat=True)) == {services.REDACTED}
    assert list(Message.objects.values_list("subject", "body", "email")) == [("", services.REDACTED, "")]
    assert list(old.revisions.values_list("score", "comment")) == [(1, "")]
    # The old link can no longer be used to answer again.
    assert Invitation.objects.get(id=old_invitation_id).expires_at <= now
    assert selectors.nps_summary() == nps_before
    audit = PrivacyEvent.objects.get(action="retention")
    assert audit.details == {
        "responses": 1,
        "webhook_deliveries_deleted": 0,
        "months": 12,
        "cutoff": "2025-06-15T12:00:00+00:00",
    }
    assert audit.customer is None and "Jeanne" not in str(audit.details)


def test_retention_cutoff_is_in_calendar_months(survey):
    now = datetime(2026, 3, 31, 12, tzinfo=UTC)
    just_older = _answer_at(datetime(2025, 12, 31, 11, 59, tzinfo=UTC), survey=survey)
    just_newer = _answer_at(datetime(2025, 12, 31, 12, 1, tzinfo=UTC), survey=survey)
    assert services.responses_anonymise_older_than(months=3, now=now) == 1
    assert Response.objects.get(id=just_older.id).customer_id is None
    assert Response.objects.get(id=just_newer.id).customer_id is not None


def test_retention_runs_in_batches_and_twice_changes_nothing(survey, monkeypatch):
    monkeypatch.setattr(services, "RETENTION_BATCH_SIZE", 2)
    long_ago = timezone.now() - timedelta(days=800)
    for _ in range(5):
        _answer_at(long_ago, survey=survey)
    assert services.responses_anonymise_older_than(months=24) == 5
    assert not Response.objects.exclude(comment="").exists()
    assert services.responses_anonymise_older_than(months=24) == 0
    assert PrivacyEvent.objects.filter(action="retention").count() == 1


def test_retention_refuses_a_period_under_one_month(db):
    with pytest.raises(ValueError, match="at least one month"):
        services.responses_anonymise_older_than(months=0)


def test_retention_task_follows_the_setting(survey, settings):
    old = _answer_at(timezone.now() - timedelta(days=400), survey=survey)
    settings.NPSAPP_RETENTION_MONTHS = 0
    assert responses_retention_task.delay().get() == 0
    assert Response.objects.get(id=old.id).comment == "Old words of Jeanne"
    settings.NPSAPP_RETENTION_MONTHS = 12
    assert responses_retention_task.delay().get() == 1
    assert Response.objects.get(id=old.id).comment == ""


def test_the_retention_task_still_runs_under_its_name_before_the_move(survey, settings):
    """A message queued under the old name, or a beat schedule that kept it, still runs the task."""
    from django.conf import settings as django_settings

    from npsapp.celery import app

    old = _answer_at(timezone.now() - timedelta(days=400), survey=survey)
    settings.NPSAPP_RETENTION_MONTHS = 12
    assert app.tasks["crm.tasks.responses_retention_task"].delay().get() == 1
    assert Response.objects.get(id=old.id).comment == ""
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "privacy.tasks.responses_retention_task" in scheduled


def test_erasure_reaches_the_webhook_delivery_log(db):
    from integrations.models import WebhookDelivery, WebhookSubscription
    from privacy.services import customer_erase
    from tests.factories import CustomerFactory, ResponseFactory

    customer = CustomerFactory(external_id="SECRET-42")
    response = ResponseFactory(score=2, comment="my private words", customer=customer, invitation__customer=customer)
    subscription = WebhookSubscription.objects.create(name="crm", url="https://example.com/hook", events=["x"])
    payload = {
        "event": "response.created",
        "data": {
            "customer": {"external_id": "SECRET-42"},
            "response": {"id": str(response.public_id), "comment": "my private words"},
        },
    }
    delivery = WebhookDelivery.objects.create(subscription=subscription, event="response.created", payload=payload)
    customer_erase(customer=customer, actor=None)
    delivery.refresh_from_db()
    assert "SECRET-42" not in str(delivery.payload)
    assert "my private words" not in str(delivery.payload)


def test_an_import_refuses_the_old_id_of_an_erased_customer(rich_customer, admin_user):
    from crm.services.customers import customers_upsert_many

    old_id = rich_customer.external_id
    services.customer_erase(customer=rich_customer, actor=admin_user)
    report = customers_upsert_many(rows=[{"external_id": old_id, "email": "back@example.com"}])
    assert report.created == 0
    assert len(report.errors) == 1
