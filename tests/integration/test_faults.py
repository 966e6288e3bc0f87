"""The fault suite: the real stack under the faults a hostile review found, asserting counts, not times.

Each test breaks one thing on purpose (its own Redis killed or paused, the worker SIGKILLed in
the middle of a task or of a campaign batch, the app's database connections terminated, two
beats at once, ten posts at once on one link) and then checks what a customer or an agent
would: every answer sent is stored, one case per detractor answer, one email per invitation
and per notification, no server error. Bursts are small (tens of requests): the point is the
count, and the suite must stay quick and steady in CI. Figures go to record_timing.
"""

import re
import threading
import urllib.error
import urllib.request
from collections import Counter
from datetime import time as clock_time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.models import F
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.choices import CampaignStatus
from followups import services as followup_services
from followups.models import BusinessCalendar, OpeningHours, Ticket, TicketNotification
from npsapp import roles
from surveys.choices import DeliveryStatus
from surveys.models import Invitation, Response, ResponseRevision
from surveys.services import invitation_create
from tests.campaigns.factories import CampaignFactory
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory
from tests.integration.conftest import THANKED, Browser, answered, closed_port, record_timing, wait_for
from tests.integration.mailbox import sent_emails

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DETRACTOR_SCORES = range(0, 7)


def _invitations(count: int):
    survey = SurveyFactory(name="Faults")
    return [invitation_create(survey=survey, customer=CustomerFactory()) for _ in range(count)]


def _submit(browser: Browser, url: str, *, score: int) -> int | str:
    """GET the form and POST an answer; the first 5xx of either, else THANKED or the POST's status."""
    try:
        status, html = browser.get(url)
    except urllib.error.HTTPError as exc:
        return exc.code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urlencode({"csrfmiddlewaretoken": token, "score": score, "comment": f"Score {score}"}).encode()
    request = urllib.request.Request(url, data=body, headers={"Referer": url})
    try:
        with browser.opener.open(request, timeout=15) as reply:
            return answered(reply.status, reply.read().decode())
    except urllib.error.HTTPError as exc:
        return exc.code


def _burst(web: str, invitations, scores, *, before=None) -> list[int]:
    statuses = []
    for index, (invitation, score) in enumerate(zip(invitations, scores, strict=True)):
        if before is not None:
            before(index)
        statuses.append(_submit(Browser(), f"{web}/s/{invitation.token}/", score=score))
    return statuses


def _detractor_answers():
    return Response.objects.filter(score__in=DETRACTOR_SCORES)


def _wait_for_one_case_per_detractor(timeout: float = 90):
    wait_for(
        lambda: Ticket.objects.filter(response__in=_detractor_answers()).count() == _detractor_answers().count(),
        timeout=timeout,
        what="one case per detractor answer",
    )


def _case_figures(fault: str, sent: int) -> dict:
    stored = Response.objects.count()
    cases = Ticket.objects.count()
    per_answer = Counter(Ticket.objects.values_list("response_id", flat=True))
    duplicates = sum(count - 1 for count in per_answer.values())
    record_timing(f"fault {fault}: {sent} sent, {stored} stored, {cases} cases, {duplicates} duplicates")
    return {"stored": stored, "cases": cases, "duplicates": duplicates}


def _runs_succeeded(stack, log: str, task_name: str) -> int:
    return sum(f".{task_name}[" in line and "succeeded" in line for line in stack.log(log).splitlines())


def _always_open_calendar() -> BusinessCalendar:
    """Notifications go out at once, whatever the hour the suite runs at."""
    calendar = BusinessCalendar.objects.create(name="Always open", timezone="UTC")
    for weekday in range(7):
        OpeningHours.objects.create(
            calendar=calendar, weekday=weekday, opens=clock_time(0), closes=clock_time(23, 59, 59)
        )
    return calendar


def _overdue_cases(count: int) -> list[Ticket]:
    manager = User.objects.create_user("maria", email="maria@example.com")
    manager.groups.add(Group.objects.get_or_create(name=roles.MANAGER)[0])
    survey = SurveyFactory(name="Overdue")
    submitted = timezone.now() - timedelta(hours=49)
    return [
        followup_services.ticket_open_for_response(
            response=ResponseFactory(invitation__survey=survey, survey=survey, score=1, submitted_at=submitted)
        )
        for _ in range(count)
    ]


def _emails_per_subject(stack) -> Counter:
    return Counter(message["Subject"] for message in sent_emails(stack.mailbox))


# --- Redis ------------------------------------------------------------------------------------------


def test_redis_killed_mid_burst_loses_no_answer_and_opens_one_case_each(stack):
    redis = stack.redis()
    env = {"CELERY_BROKER_URL": redis.url(0), "REDIS_CACHE_URL": redis.url(1)}
    worker = stack.worker(**env)
    stack.beat(**env)
    web = stack.web("web", **env)
    invitations = _invitations(20)
    scores = [index % 11 for index in range(20)]

    statuses = _burst(web, invitations, scores, before=lambda index: index == 10 and redis.kill())
    redis.restart()

    assert statuses == [THANKED] * 20, stack.log("web")
    # A worker whose late acknowledgement was under way when Redis died can end on kombu's
    # "Unrecoverable error"; docker-compose restarts it (restart: unless-stopped), and so does
    # this test, as a process manager would. What it was running is acknowledged late, so its
    # message is delivered again; the cases still number one per detractor answer.
    restarted = []

    def one_case_each_with_the_worker_supervised():
        if worker.poll() is not None and not restarted:
            restarted.append(stack.worker("worker-restarted", **env))
        return Ticket.objects.filter(response__in=_detractor_answers()).count() == _detractor_answers().count()

    wait_for(one_case_each_with_the_worker_supervised, timeout=90, what="one case per detractor answer")
    restart_note = ", worker restarted" if restarted else ""
    figures = _case_figures(f"Redis killed mid-burst{restart_note}", sent=len(statuses))
    assert figures == {"stored": 20, "cases": _detractor_answers().count(), "duplicates": 0}


def test_redis_paused_costs_one_broker_attempt_per_process_and_window(stack):
    """SIGSTOP: Redis accepts connections and never answers. Each web process tries it once per
    breaker window (600 s here: the whole test), every other answer skips it and is stored."""
    redis = stack.redis()
    env = {"CELERY_BROKER_URL": redis.url(0), "REDIS_CACHE_URL": redis.url(1), "NPSAPP_REDIS_BREAKER_SECONDS": "600"}
    web = stack.web("web", **env)
    invitations = _invitations(16)
    scores = [index % 7 for index in range(12)] + [9, 9, 9, 9]  # twelve detractors, four promoters

    redis.pause()
    statuses = _burst(web, invitations, scores)
    # Second posts on the promoters' links are corrections: their rate limit reads the cache.
    statuses += _burst(web, invitations[12:], [10, 10, 10, 10])

    assert statuses == [THANKED] * 20, stack.log("web")
    assert Response.objects.count() == 16
    log = stack.log("web")
    broker_attempts = log.count("could not queue answers")
    cache_attempts = log.count("cache unavailable")
    # Two gunicorn processes: at most one attempt each; every other answer skipped the broker.
    assert 1 <= broker_attempts <= 2, log
    # Each answer and each correction queues one item for a worker (it tells followups, insights
    # and the at-risk flags): each was either that one attempt or skipped by the open breaker.
    announcements = [
        line
        for line in log.splitlines()
        if "could not queue answers" in line or "broker breaker open: not queueing answers" in line
    ]
    assert len(announcements) == 20, log
    assert cache_attempts <= 2, log

    redis.resume()
    stack.worker(**env)
    stack.beat(**env)
    _wait_for_one_case_per_detractor()
    figures = _case_figures(f"Redis paused ({broker_attempts} broker attempts)", sent=16)
    assert figures == {"stored": 16, "cases": 12, "duplicates": 0}


# --- The worker killed ---------------------------------------------------------------------------------


def test_worker_killed_mid_notification_task_sends_each_notification_once(stack):
    """The worker dies while the deadline task emails the managers (it hangs on the third email
    and is SIGKILLed there); the next worker finishes: one breach email per case, none twice."""
    _always_open_calendar()
    cases = _overdue_cases(6)
    redis = stack.redis()
    env = {"CELERY_BROKER_URL": redis.url(0), "NPSAPP_NOTIFICATION_CALENDAR": "Always open"}
    # One pool process: the kill lands while it hangs before the third email, not while another
    # process sits between handing an email over and committing (that email would go twice).
    first = stack.worker("worker", concurrency=1, NPSAPP_TEST_EMAIL_STALL_AFTER="2", **env)
    stack.beat(**env)
    delivered = TicketNotification.objects.filter(kind="breach", delivered_at__isnull=False)
    # Both emails out and recorded: killing between an email and its commit would send it again.
    wait_for(
        lambda: len(sent_emails(stack.mailbox)) == 2 and delivered.count() == 2,
        timeout=90,
        what="two breach emails, recorded",
    )

    stack.kill(first)
    assert len(sent_emails(stack.mailbox)) == 2
    stack.worker("worker-again", **env)
    wait_for(
        lambda: delivered.count() == 6 and len(sent_emails(stack.mailbox)) == 6,
        timeout=90,
        what="the other breach emails",
    )
    runs = _runs_succeeded(stack, "worker-again", "tickets_check_deadlines_task")
    wait_for(
        lambda: _runs_succeeded(stack, "worker-again", "tickets_check_deadlines_task") >= runs + 2,
        timeout=30,
        what="two more deadline checks",
    )
    per_subject = _emails_per_subject(stack)
    assert len(per_subject) == 6 and set(per_subject.values()) == {1}, per_subject
    assert all(any(ticket.reference in subject for subject in per_subject) for ticket in cases)
    record_timing(f"fault worker killed mid-task: 6 notifications, {sum(per_subject.values())} emails, 0 duplicates")


def test_worker_killed_mid_campaign_batch_mails_each_customer_once(stack):
    """The worker dies after five emails of a twelve-customer batch, hanging on the sixth. Its
    claim on the sixth is a lease: once it runs out (moved back here, instead of waiting ten
    minutes), the beat publishes what is left and the next worker sends each email once."""
    survey = SurveyFactory(name="Campaign")
    for _ in range(12):
        CustomerFactory()
    campaign = CampaignFactory(survey=survey)
    redis = stack.redis()
    env = {"CELERY_BROKER_URL": redis.url(0)}
    first = stack.worker("worker", concurrency=1, NPSAPP_TEST_EMAIL_STALL_AFTER="5", **env)
    stack.beat(**env)
    invitations = Invitation.objects.filter(campaign=campaign)
    sent = invitations.filter(delivery_status=DeliveryStatus.SENT)
    in_flight = invitations.filter(delivery_status=DeliveryStatus.QUEUED, claimed_at__isnull=False)
    # Five recorded sent and the sixth claimed: the worker hangs on the sixth. (Right after the
    # fifth email, before it is recorded, the fifth is the one in flight: not the moment to kill.)
    wait_for(
        lambda: len(sent_emails(stack.mailbox)) == 5 and sent.count() == 5 and in_flight.count() == 1,
        timeout=90,
        what="five campaign emails recorded, and the worker on the sixth",
    )

    stack.kill(first)
    assert invitations.count() == 12
    assert sent.count() == 5
    # The one the worker was sending when it died is still claimed: nobody else sends it yet.
    assert in_flight.count() == 1

    lease = campaign_services.SENDING_LEASE
    invitations.filter(claimed_at__isnull=False).update(claimed_at=F("claimed_at") - lease)
    type(campaign).objects.filter(id=campaign.id).update(started_at=F("started_at") - lease)
    stack.worker("worker-again", **env)
    wait_for(
        lambda: type(campaign).objects.get(id=campaign.id).status == CampaignStatus.SENT,
        timeout=90,
        what="the campaign to finish",
    )
    recipients = Counter(message["To"] for message in sent_emails(stack.mailbox))
    expected = Counter(invitations.values_list("customer__email", flat=True))
    assert recipients == expected and set(recipients.values()) == {1}, recipients
    assert invitations.filter(delivery_status=DeliveryStatus.SENT).count() == 12
    record_timing(
        f"fault worker killed mid-campaign-batch: 12 invitations, {sum(recipients.values())} emails, "
        f"{sum(count - 1 for count in recipients.values())} duplicates"
    )


# --- The database -------------------------------------------------------------------------------------


def _terminate_app_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_database_connections_terminated_mid_burst_fail_no_request(stack):
    """Persistent connections (CONN_MAX_AGE) killed by the server three times during a burst:
    each web process checks its connection at the start of the next request and reconnects."""
    web = stack.web("web", DB_CONN_MAX_AGE="60", CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0")
    invitations = _invitations(16)
    scores = [index % 11 for index in range(16)]
    terminated = []

    def every_fourth(index):
        if index and index % 4 == 0:
            terminated.append(_terminate_app_connections())

    statuses = _burst(web, invitations, scores, before=every_fourth)

    assert sum(terminated) >= 1, "no connection of the app was terminated"
    assert statuses == [THANKED] * 16, stack.log("web")  # no server error, every answer thanked
    assert Response.objects.count() == 16
    record_timing(
        f"fault database connections terminated ({sum(terminated)} in 3 rounds): "
        f"16 sent, {Response.objects.count()} stored, 0 server errors"
    )


# --- Beat and concurrency -----------------------------------------------------------------------------


def test_two_beats_at_once_start_a_campaign_once_and_notify_once(stack):
    _always_open_calendar()
    _overdue_cases(4)
    for _ in range(6):
        CustomerFactory()
    campaign = CampaignFactory(survey=SurveyFactory(name="Campaign"))
    redis = stack.redis()
    env = {"CELERY_BROKER_URL": redis.url(0), "NPSAPP_NOTIFICATION_CALENDAR": "Always open"}
    stack.worker(**env)
    stack.beat("beat-a", **env)
    stack.beat("beat-b", **env)
    wait_for(
        lambda: (
            type(campaign).objects.get(id=campaign.id).status == CampaignStatus.SENT
            and TicketNotification.objects.filter(kind="breach", delivered_at__isnull=False).count() == 4
        ),
        timeout=90,
        what="the campaign and the breach notifications",
    )
    runs = _runs_succeeded(stack, "worker", "tickets_check_deadlines_task")
    wait_for(
        lambda: _runs_succeeded(stack, "worker", "tickets_check_deadlines_task") >= runs + 4,
        timeout=30,
        what="more runs from both beats",
    )
    invitations = Invitation.objects.filter(campaign=campaign)
    emails = sent_emails(stack.mailbox)
    to = Counter(message["To"] for message in emails)
    assert to["maria@example.com"] == 4  # one breach email per case
    campaign_to = Counter({address: count for address, count in to.items() if address != "maria@example.com"})
    assert campaign_to == Counter(invitations.values_list("customer__email", flat=True)), to
    assert set(campaign_to.values()) == {1}
    record_timing(
        f"fault two beats: {invitations.count()} invitations and 4 notifications, {len(emails)} emails, "
        f"{len(emails) - invitations.count() - 4} duplicates"
    )


def test_ten_posts_at_once_on_one_link_store_one_answer_without_error(stack):
    redis = stack.redis()
    env = {"CELERY_BROKER_URL": redis.url(0), "REDIS_CACHE_URL": redis.url(1)}
    stack.worker(**env)
    web = stack.web("web", workers=4, **env)
    invitation = _invitations(1)[0]
    url = f"{web}/s/{invitation.token}/"
    forms = []
    for _ in range(10):
        browser = Browser()
        _status, html = browser.get(url)
        forms.append((browser, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)))
    start = threading.Barrier(10)
    statuses = []

    def post(browser, token, score):
        body = urlencode({"csrfmiddlewaretoken": token, "score": score, "comment": f"Now {score}"}).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        start.wait(timeout=30)
        try:
            with browser.opener.open(request, timeout=15) as reply:
                statuses.append(answered(reply.status, reply.read().decode()))
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    threads = [threading.Thread(target=post, args=(*form, score)) for form, score in zip(forms, range(10), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THANKED: stored (the answer, or a correction); 200: "already answered" for a post that raced
    # the first answer. Never a 5xx (a deadlock was one).
    assert len(statuses) == 10 and set(statuses) <= {200, THANKED}, (statuses, stack.log("web"))
    response = Response.objects.get(invitation=invitation)
    assert ResponseRevision.objects.filter(response=response).count() == statuses.count(THANKED) - 1
    if response.score in DETRACTOR_SCORES:
        _wait_for_one_case_per_detractor()
    figures = _case_figures("ten posts at once on one link", sent=10)
    assert figures["stored"] == 1 and figures["duplicates"] == 0
