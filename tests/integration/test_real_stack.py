"""The whole loop on the real stack: gunicorn → PostgreSQL → Redis → Celery worker and beat."""

import time
from datetime import timedelta

import pytest

from followups.models import Ticket
from npsapp import celery_app
from surveys.models import Response
from surveys.services import invitation_create
from tests.factories import CustomerFactory, SurveyFactory
from tests.integration.conftest import THANKED, closed_port, record_timing, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _invitations(count: int):
    survey = SurveyFactory(name="Real stack")
    return [invitation_create(survey=survey, customer=CustomerFactory()) for _ in range(count)]


def test_detractor_answer_reaches_the_inbox_through_the_real_worker(stack, browser):
    stack.worker()
    stack.wait_for_log("worker", "ready")
    web = stack.web("web")
    invitation = _invitations(1)[0]

    status, seconds = browser.submit_survey(web + f"/s/{invitation.token}/", score=1, comment="Arrived broken")
    submitted = time.perf_counter()
    assert status == THANKED, stack.log("web")
    wait_for(
        lambda: Ticket.objects.filter(response__invitation=invitation).exists(),
        timeout=20,
        what="the worker to open the ticket",
    )
    latency = time.perf_counter() - submitted
    record_timing(f"detractor submit: {seconds * 1000:.0f} ms; ticket visible {latency * 1000:.0f} ms after it")
    ticket = Ticket.objects.get(response__invitation=invitation)
    assert ticket.priority == "high"
    assert ticket.first_contact_due_at == ticket.response.submitted_at + timedelta(hours=48)


def test_nothing_is_lost_when_the_broker_is_down(stack, browser):
    """Web processes whose broker is unreachable still thank the customer within a second;
    the beat's reconciliation opens exactly one ticket per detractor answer once work resumes."""
    invitations = _invitations(6)
    broken_web = stack.web("web-broker-down", CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0")
    scores = [0, 3, 6, 9, 2, 8]
    for invitation, score in zip(invitations, scores, strict=True):
        status, seconds = browser.submit_survey(
            broken_web + f"/s/{invitation.token}/", score=score, comment=f"Score {score}"
        )
        assert status == THANKED, stack.log("web-broker-down")
        assert seconds < 1.0, f"submit took {seconds:.2f}s with the broker down"
        record_timing(f"submit with the broker down (score {score}): {seconds * 1000:.0f} ms")
    assert Response.objects.count() == 6
    assert "could not queue answers" in stack.log("web-broker-down")
    assert Ticket.objects.count() == 0

    # Work resumes: the worker and beat run against the real broker.
    stack.worker()
    stack.beat()
    detractors = Response.objects.filter(score__lte=6)
    wait_for(
        lambda: Ticket.objects.count() == detractors.count(),
        timeout=40,
        what="the reconciliation to open the missing tickets",
    )
    time.sleep(3)  # several more beats: nothing may be opened twice
    assert Ticket.objects.count() == 4
    assert sorted(Ticket.objects.values_list("response__score", flat=True)) == [0, 2, 3, 6]
    for response in detractors:
        assert Ticket.objects.filter(response=response).count() == 1


def _runs_succeeded(stack, task_name: str) -> int:
    """Runs of `task_name` the worker has logged as succeeded ("Task <path>[<id>] succeeded in …")."""
    return sum(f".{task_name}[" in line and "succeeded" in line for line in stack.log("worker").splitlines())


def test_the_same_task_delivered_twice_opens_one_ticket(stack, browser):
    stack.worker()
    stack.wait_for_log("worker", "ready")
    invitation = _invitations(1)[0]
    broken_web = stack.web("web-broker-down", CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0")
    status, _ = browser.submit_survey(broken_web + f"/s/{invitation.token}/", score=4, comment="Meh")
    assert status == THANKED
    response = Response.objects.get(invitation=invitation)

    for _ in range(3):
        celery_app.send_task("followups.tasks.ticket_open_for_response_task", args=[response.id])
    # Only this task's runs count: tasks an earlier test's beat left in the broker may run first.
    wait_for(lambda: _runs_succeeded(stack, "ticket_open_for_response_task") >= 3, timeout=20, what="three task runs")
    assert Ticket.objects.filter(response=response).count() == 1
    assert Ticket.objects.get(response=response).events.filter(kind="opened").count() == 1


def test_a_customer_reply_reopens_the_case_and_the_worker_tells_the_assignee(stack, browser, django_user_model):
    """Reply page on gunicorn → the case reopens in the same request; the reply notice is claimed
    once and delivered by the real worker after the commit (an always-open calendar, so the
    notice is not held for the morning whatever the time the test runs)."""
    import re
    import urllib.request
    from datetime import time as clock
    from urllib.parse import urlencode

    from django.contrib.auth.models import Group
    from django.urls import reverse

    from conversations import services as conversation_services
    from followups import services as followup_services
    from followups.models import BusinessCalendar, OpeningHours, TicketNotification
    from npsapp import roles
    from tests.factories import ResponseFactory

    always = BusinessCalendar.objects.create(name="Always open")
    for weekday in range(7):
        OpeningHours.objects.create(calendar=always, weekday=weekday, opens=clock(0), closes=clock(23, 59))
    agent = django_user_model.objects.create_user("alice", email="alice@example.com", first_name="Alice")
    agent.groups.add(Group.objects.get_or_create(name=roles.AGENT)[0])
    customer = CustomerFactory(email="jeanne@example.com")
    response = ResponseFactory(score=2, invitation__customer=customer)
    ticket = followup_services.ticket_open_for_response(response=response)
    message = conversation_services.message_reply_send(ticket=ticket, actor=agent, subject="Sorry", body="Refunded")
    followup_services.ticket_set_status(ticket=ticket, actor=agent, status="resolved", outcome="recovered")

    stack.env["NPSAPP_NOTIFICATION_CALENDAR"] = "Always open"
    stack.worker()
    stack.wait_for_log("worker", "ready")
    web = stack.web("web")
    url = web + reverse("conversations:customer_reply", args=[message.reply_token])
    _status, html = browser.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urlencode({"csrfmiddlewaretoken": token, "body": "It broke again"}).encode()
    with browser.opener.open(urllib.request.Request(url, data=body, headers={"Referer": url}), timeout=10) as reply:
        assert reply.status == 200, stack.log("web")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.customer_reply_unread_at is not None) == ("contacted", True)
    wait_for(
        lambda: TicketNotification.objects.filter(ticket=ticket, kind="reply", delivered_at__isnull=False).exists(),
        timeout=20,
        what="the worker to deliver the reply notice",
    )
    assert TicketNotification.objects.filter(ticket=ticket, kind="reply").count() == 1
    assert _runs_succeeded(stack, "notification_deliver_task") == 1
