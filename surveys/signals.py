"""The hooks this app publishes: the apps above hear of its events without it importing them.

One way for every subscriber: a Django signal defined here, which the subscribing app connects
in its `AppConfig.ready()` (its `hooks.connect()`), with a `dispatch_uid` so it is connected once.

- `survey_created(survey=...)`: a survey was just created (Django admin, demo data). Sent at
  once, inside the creating transaction, so what a receiver writes (triggers: the survey's
  recovery re-survey rule) commits or rolls back with the survey.
- `response_submitted(response=..., corrected=...)`: an answer was recorded, or corrected
  (`corrected=True`), and its transaction has committed. Sent once per answer or correction,
  never for rolled-back work, by a worker: the customer's request publishes one message
  (`surveys.tasks.response_submitted_task`) whatever the number of receivers, and the worker
  sends the signal (inline without a broker). Each receiver runs even if another one fails
  (logged): followups publishes the case task, insights the theme match, customerview refreshes
  the customer's at-risk flags. A lost message is caught up by their reconciliation tasks.
- `deadline_words_requested(survey=...)`: the respondent's thank-you page asks for the
  first-contact deadline promised to a detractor, in words; the first receiver that answers
  with words gives them (followups: the deadline's clock and calendar live there).
"""

import logging

from django.dispatch import Signal

from npsapp.publish import publish_on_commit

logger = logging.getLogger(__name__)

survey_created = Signal()
response_submitted = Signal()
deadline_words_requested = Signal()


def response_submitted_on_commit(response, *, corrected: bool = False) -> None:
    """Have a worker send `response_submitted` for `response` once the current transaction commits."""
    from surveys.tasks import response_submitted_task

    publish_on_commit(response_submitted_task, response.pk, corrected)


def response_submitted_send(response_id: int, *, corrected: bool) -> None:
    """Send `response_submitted` for the answer as it now stands (nothing if it is gone: erased)."""
    from surveys.models import Response

    response = Response.objects.select_related("survey", "invitation").filter(pk=response_id).first()
    if response is None:
        return
    for receiver, outcome in response_submitted.send_robust(
        sender=type(response), response=response, corrected=corrected
    ):
        if isinstance(outcome, Exception):
            logger.error(
                "response_submitted receiver %r failed for answer %s",
                receiver,
                response.pk,
                exc_info=(type(outcome), outcome, outcome.__traceback__),
            )


def deadline_words(survey) -> str:
    """The first-contact deadline a detractor of `survey` is promised, in words ("" if none is known)."""
    for _receiver, words in deadline_words_requested.send(sender=type(survey), survey=survey):
        if words:
            return str(words)
    return ""
