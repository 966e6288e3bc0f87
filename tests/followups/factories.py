"""Data for the follow-up tests: calendars, teams, cases opened through the service."""

from datetime import time

from followups import services
from followups.models import BusinessCalendar, OpeningHours, Team
from tests.factories import ResponseFactory


def office_calendar(name: str = "Paris office", holidays=()) -> BusinessCalendar:
    """Monday to Friday, 09:00–12:00 and 14:00–18:00, Europe/Paris."""
    calendar = BusinessCalendar.objects.create(name=name, timezone="Europe/Paris")
    for weekday in range(5):
        OpeningHours.objects.create(calendar=calendar, weekday=weekday, opens=time(9), closes=time(12))
        OpeningHours.objects.create(calendar=calendar, weekday=weekday, opens=time(14), closes=time(18))
    for day in holidays:
        calendar.holidays.create(day=day)
    return calendar


def team_of(*members, name: str = "Care") -> Team:
    team = Team.objects.create(name=name)
    team.members.add(*members)
    return team


def open_case(score: int = 2, **response_kwargs):
    """A case opened by the response hook, as after a customer's answer."""
    return services.ticket_open_for_response(response=ResponseFactory(score=score, **response_kwargs))
