"""The embedded scheduler: the beat schedule of the settings, run without a broker, timed on a fake clock."""

import logging
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab, schedule
from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from campaigns.choices import CampaignStatus
from npsapp import scheduler
from surveys.choices import DeliveryStatus
from surveys.models import Invitation
from tests.campaigns.factories import CampaignFactory
from tests.factories import CustomerFactory

PARIS = ZoneInfo("Europe/Paris")
# A Sunday evening in Paris, so the Monday 07:00 digest and the 03:30 retention come overnight.
START = datetime(2027, 3, 14, 22, 0, 10, tzinfo=PARIS)


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance_to(self, moment: datetime):
        self.moment = moment


def _scheduler(beat_schedule, clock):
    ran = []
    return scheduler.Scheduler(beat_schedule, run=lambda entry: ran.append(entry.name), now=clock, tz=PARIS), ran


def _tick_at(sched, clock, ran, moment) -> list[str]:
    clock.advance_to(moment)
    ran.clear()
    sched.tick()
    return sorted(ran)


def test_it_runs_the_very_schedule_celery_beat_reads():
    sched, _ran = _scheduler(settings.CELERY_BEAT_SCHEDULE, Clock(START))
    assert {(e.name, e.task) for e in sched.entries} == {
        (name, entry["task"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    }


def test_interval_tasks_run_at_start_then_every_interval_and_crontabs_at_their_minute():
    clock = Clock(START)
    beat = {
        "every-minute": {"task": "t.minute", "schedule": 60},
        "every-5-minutes": {"task": "t.five", "schedule": timedelta(minutes=5)},
        "every-15-minutes": {"task": "t.fifteen", "schedule": schedule(timedelta(minutes=15))},
        "nightly": {"task": "t.night", "schedule": crontab(minute=30, hour=3)},
        "monday-digest": {"task": "t.digest", "schedule": crontab(minute=0, hour=7, day_of_week="mon")},
    }
    sched, ran = _scheduler(beat, clock)

    assert _tick_at(sched, clock, ran, START) == ["every-15-minutes", "every-5-minutes", "every-minute"]
    assert _tick_at(sched, clock, ran, START + timedelta(seconds=59)) == []
    assert _tick_at(sched, clock, ran, START + timedelta(seconds=60)) == ["every-minute"]
    assert _tick_at(sched, clock, ran, START + timedelta(minutes=5)) == ["every-5-minutes", "every-minute"]
    assert _tick_at(sched, clock, ran, START + timedelta(minutes=15)) == [
        "every-15-minutes",
        "every-5-minutes",
        "every-minute",
    ]
    # 03:29 Monday: not yet; 03:30: the nightly task, once.
    night = datetime(2027, 3, 15, 3, 29, tzinfo=PARIS)
    assert "nightly" not in _tick_at(sched, clock, ran, night)
    assert "nightly" in _tick_at(sched, clock, ran, night + timedelta(minutes=1))
    assert "nightly" not in _tick_at(sched, clock, ran, night + timedelta(minutes=2))
    # Monday 07:00 in Paris, not 07:00 UTC.
    assert "monday-digest" not in _tick_at(sched, clock, ran, datetime(2027, 3, 15, 6, 59, tzinfo=PARIS))
    assert "monday-digest" in _tick_at(sched, clock, ran, datetime(2027, 3, 15, 7, 0, tzinfo=PARIS))
    # Tuesday 07:00: no digest; next Monday: the digest again.
    assert "monday-digest" not in _tick_at(sched, clock, ran, datetime(2027, 3, 16, 7, 0, tzinfo=PARIS))
    assert "monday-digest" in _tick_at(sched, clock, ran, datetime(2027, 3, 22, 7, 0, 5, tzinfo=PARIS))


def test_a_late_tick_runs_each_missed_task_once_not_once_per_missed_interval():
    clock = Clock(START)
    sched, ran = _scheduler({"every-minute": {"task": "t.minute", "schedule": 60}}, clock)
    _tick_at(sched, clock, ran, START)
    assert _tick_at(sched, clock, ran, START + timedelta(minutes=30)) == ["every-minute"]
    assert _tick_at(sched, clock, ran, START + timedelta(minutes=30, seconds=59)) == []


def test_tick_says_how_long_to_sleep_until_the_next_task():
    clock = Clock(START)
    sched, ran = _scheduler(
        {"every-minute": {"task": "t.minute", "schedule": 60}, "five": {"task": "t.five", "schedule": 300}}, clock
    )
    assert sched.tick() == 60
    clock.advance_to(START + timedelta(seconds=45))
    assert sched.tick() == 15


def test_a_failing_task_does_not_stop_the_others_or_the_schedule(caplog):
    clock = Clock(START)

    def run(entry):
        if entry.name == "broken":
            raise RuntimeError("boom")
        ran.append(entry.name)

    ran = []
    beat = {"broken": {"task": "t.broken", "schedule": 60}, "fine": {"task": "t.fine", "schedule": 60}}
    sched = scheduler.Scheduler(beat, run=run, now=clock, tz=PARIS)
    sched.tick()
    clock.advance_to(START + timedelta(minutes=1))
    sched.tick()
    assert ran == ["fine", "fine"]
    assert "scheduled task broken (t.broken) failed" in caplog.text


def test_crontab_follows_the_wall_clock_across_daylight_saving():
    nightly = crontab(minute=30, hour=3)
    # Paris moves to summer time on 2027-03-28 at 02:00 (to 03:00): 03:30 is 01:30 UTC that day.
    before = datetime(2027, 3, 27, 4, 0, tzinfo=PARIS)
    first = scheduler.next_crontab_run(nightly, after=before, tz=PARIS)
    assert first == datetime(2027, 3, 28, 3, 30, tzinfo=PARIS)
    assert first.astimezone(UTC).hour == 1
    # An hour skipped by the change never matches: 02:30 on that day runs the next day.
    skipped = crontab(minute=30, hour=2)
    assert scheduler.next_crontab_run(skipped, after=before, tz=PARIS) == datetime(2027, 3, 29, 2, 30, tzinfo=PARIS)


def test_a_schedule_it_cannot_run_is_refused_at_start():
    with pytest.raises(ImproperlyConfigured):
        scheduler.Scheduler({"odd": {"task": "t", "schedule": "daily"}}, run=print, now=Clock(START), tz=PARIS)
    # February 29th on a Monday: not before 2044, so a crontab that never comes is an error, not a hang.
    never = crontab(minute=0, hour=0, day_of_month=29, month_of_year=2, day_of_week="mon")
    with pytest.raises(ImproperlyConfigured):
        scheduler.next_crontab_run(never, after=START, tz=PARIS)


@pytest.mark.django_db
def test_the_campaign_entry_sends_a_due_campaign_in_this_process(django_capture_on_commit_callbacks, monkeypatch):
    # The scheduler's thread closes its stale connections around each run; here that would be
    # the test's own connection, inside its transaction.
    monkeypatch.setattr("django.db.close_old_connections", lambda: None)
    for _ in range(2):
        CustomerFactory()
    campaign = CampaignFactory()
    entry = next(
        scheduler.Entry(name=name, task=config["task"], spec=config["schedule"])
        for name, config in settings.CELERY_BEAT_SCHEDULE.items()
        if config["task"].endswith("campaigns_start_due_task")
    )

    with django_capture_on_commit_callbacks(execute=True):
        scheduler.run_task(entry)

    assert len(mail.outbox) == 2
    assert set(Invitation.objects.filter(campaign=campaign).values_list("delivery_status", flat=True)) == {
        DeliveryStatus.SENT
    }
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_celery_success_lines_of_scheduled_runs_are_hidden_failures_are_not():
    quiet = scheduler.QuietSuccesses()

    def record(level):
        return logging.LogRecord("celery.app.trace", level, __file__, 1, "Task %s succeeded", ("t",), None)

    shown = {}

    def in_scheduler_thread():
        shown["success"] = quiet.filter(record(logging.INFO))
        shown["failure"] = quiet.filter(record(logging.ERROR))

    thread = threading.Thread(target=in_scheduler_thread, name=scheduler.THREAD_NAME)
    thread.start()
    thread.join()
    assert shown == {"success": False, "failure": True}
    assert quiet.filter(record(logging.INFO))  # a request's own eager task still says so
