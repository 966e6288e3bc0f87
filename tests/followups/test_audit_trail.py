"""The audit trail cannot be deleted: not in Django admin, not by a cascade.

Erasure (privacy.services) is the one way to remove personal data, and it keeps the rows.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import ProtectedError
from django.urls import reverse

from conversations import services as conversation_services
from conversations.models import Message
from followups import services
from followups.models import Ticket, TicketEvent
from privacy.services import customer_erase
from surveys.models import Response, ResponseRevision
from surveys.services import invitation_create, response_correct, response_submit
from tests.factories import CustomerFactory


@pytest.fixture
def case(survey, agent, manager, django_capture_on_commit_callbacks):
    """A detractor case with events (opened, assigned, a note), a message and a corrected answer."""
    invitation = invitation_create(survey=survey, customer=CustomerFactory(email="jeanne@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        response = response_submit(invitation=invitation, score=4, comment="Late again")
    response_correct(response=response, score=2, comment="Late again, and rude")
    ticket = Ticket.objects.get(response=response)
    services.ticket_assign(ticket=ticket, actor=manager, assignee=agent)
    services.ticket_add_note(ticket=ticket, actor=agent, body="Called, no answer")
    conversation_services.message_reply_send(ticket=ticket, actor=agent, subject="Sorry", body="We are sorry.")
    ticket.refresh_from_db()
    assert ticket.events.count() >= 3 and ticket.messages.count() == 1 and response.revisions.count() == 1
    return ticket


def _changelist_delete(client, model_admin_url: str, pk) -> None:
    client.post(model_admin_url, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})


@pytest.mark.parametrize(
    ("name", "obj"),
    [
        ("followups_ticket", lambda case: case),
        ("surveys_response", lambda case: case.response),
        ("conversations_message", lambda case: case.messages.get()),
        ("crm_customer", lambda case: case.customer),
    ],
)
def test_admin_refuses_delete_one_and_many(client, admin_user, case, name, obj):
    client.force_login(admin_user)
    target = obj(case)
    assert client.get(reverse(f"admin:{name}_delete", args=[target.pk])).status_code == 403
    assert client.post(reverse(f"admin:{name}_delete", args=[target.pk]), {"post": "yes"}).status_code == 403
    changelist = client.get(reverse(f"admin:{name}_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    _changelist_delete(client, reverse(f"admin:{name}_changelist"), target.pk)
    assert type(target).objects.filter(pk=target.pk).exists()
    assert TicketEvent.objects.filter(ticket=case).count() == case.events.count() > 0


def test_events_and_revisions_are_not_deletable_in_admin():
    from followups.admin import TicketAdmin
    from surveys.admin import ResponseAdmin

    assert not admin.site.is_registered(TicketEvent) and not admin.site.is_registered(ResponseRevision)
    assert all(not inline.can_delete for inline in TicketAdmin.inlines)
    assert all(not inline.can_delete for inline in ResponseAdmin.inlines)


def test_deleting_a_response_is_refused_and_keeps_the_case(case):
    with pytest.raises(ProtectedError):
        Response.objects.filter(pk=case.response_id).delete()
    assert Ticket.objects.filter(pk=case.pk).exists()
    assert TicketEvent.objects.filter(ticket=case).exists()


def test_deleting_a_case_is_refused_while_it_has_history(case):
    with pytest.raises(ProtectedError):
        Ticket.objects.filter(pk=case.pk).delete()
    assert TicketEvent.objects.filter(ticket=case).exists() and Message.objects.filter(ticket=case).exists()


def test_deleting_a_response_with_earlier_versions_is_refused(survey):
    invitation = invitation_create(survey=survey, customer=CustomerFactory())
    response = response_submit(invitation=invitation, score=9)
    response_correct(response=response, score=10)
    with pytest.raises(ProtectedError):
        response.delete()
    assert ResponseRevision.objects.filter(response=response).exists()


def test_deleting_a_staff_user_keeps_their_events_and_messages(case, agent):
    before = TicketEvent.objects.filter(ticket=case).count()
    User.objects.filter(pk=agent.pk).delete()
    assert TicketEvent.objects.filter(ticket=case).count() == before
    assert TicketEvent.objects.filter(ticket=case, actor__isnull=True, body="Called, no answer").exists()
    assert Message.objects.filter(ticket=case, author__isnull=True).count() == 1


def test_deleting_a_customer_keeps_the_case_history(case):
    before = TicketEvent.objects.filter(ticket=case).count()
    case.customer.delete()
    assert TicketEvent.objects.filter(ticket=case).count() == before
    assert Message.objects.filter(ticket=case).count() == 1


def test_erasure_still_works_and_keeps_every_row(case, admin_user):
    events, messages = TicketEvent.objects.filter(ticket=case).count(), Message.objects.filter(ticket=case).count()
    customer_erase(customer=case.customer, actor=admin_user)
    case.response.refresh_from_db()
    assert case.response.comment == ""
    assert ResponseRevision.objects.get(response=case.response).comment == ""
    assert TicketEvent.objects.filter(ticket=case).count() == events
    assert Message.objects.filter(ticket=case).count() == messages
    assert not TicketEvent.objects.filter(ticket=case, body="Called, no answer").exists()


def test_the_erase_action_in_admin_still_works(client, admin_user, case):
    client.force_login(admin_user)
    customer = case.customer
    events = TicketEvent.objects.filter(ticket=case).count()
    client.post(
        reverse("admin:crm_customer_changelist"),
        {"action": "erase_selected", "_selected_action": [customer.pk], "post": "yes"},
    )
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.email == ""
    assert TicketEvent.objects.filter(ticket=case).count() == events


def test_the_demo_reset_still_removes_its_own_cases(case):
    from demo import plan as demo
    from demo.services import demo_delete

    case.survey.brand.name = demo.BRAND_NAME
    case.survey.brand.save()
    demo_delete()
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists() and not Response.objects.exists()
