"""How follow-up hears of answers without the surveys app knowing it exists (surveys/signals.py).

- An answer recorded or corrected (`response_submitted`, once committed): the case task is
  published when the answer has follow-up work (a detractor's case, a passive's outreach, a
  re-survey's recovery score). Most answers need nothing: not publishing spares the customer's
  request a broker round trip. If the broker is down, the reconciliation task finds them.
- The thank-you page's promised deadline (`deadline_words_requested`): its clock and calendar
  live here, in the very words agents see on the case.
"""

from npsapp.publish import publish
from surveys import signals
from surveys.choices import Segment
from surveys.models import Response


def response_needs_followup(response: Response) -> bool:
    """Whether the answer has follow-up work: a case to open or update, or a recovery score."""
    segment = response.segment
    return (
        segment == Segment.DETRACTOR
        or (segment == Segment.PASSIVE and response.survey.passive_outreach)
        or (response.invitation is not None and response.invitation.is_resurvey)
    )


def _response_submitted(sender, response: Response, **kwargs) -> None:
    if not response_needs_followup(response):
        return
    from followups import tasks  # read at call time: tests replace the task

    publish(tasks.ticket_open_for_response_task, response.id)


def _deadline_words(sender, survey, **kwargs) -> str:
    from followups.services import survey_deadline_words

    return survey_deadline_words(survey)


def connect() -> None:
    signals.response_submitted.connect(_response_submitted, dispatch_uid="followups-open-case")
    signals.deadline_words_requested.connect(_deadline_words, dispatch_uid="followups-deadline-words")
