"""The hooks this app publishes: the apps above hear of its events without it importing them.

One way for every subscriber: a Django signal defined here, which the subscribing app connects
in its `AppConfig.ready()` (its `hooks.connect()`), with a `dispatch_uid` so it is connected once.

- `survey_created(survey=...)`: a survey was just created (Django admin, demo data). Sent at
  once, inside the creating transaction, so what a receiver writes (triggers: the survey's
  recovery re-survey rule) commits or rolls back with the survey.
- `response_submitted(response=..., corrected=...)`: an answer was recorded, or corrected
  (`corrected=True`), and its transaction has committed. Sent once per answer or correction,
  never for rolled-back work, by a worker: the customer's request queues the answer's id on a
  doorbell (`ANSWERS`, npsapp/doorbell.py: one Redis round trip, and a drain task published
  only when none is waiting) whatever the number of receivers; the worker's drain sends the
  signal for each answer of its batch (inline without a broker). Each receiver runs even if
  another one fails (logged): followups publishes the case task, insights the theme match,
  customerview refreshes the customer's at-risk flags. A lost item is caught up by their
  reconciliation tasks.
- `deadline_words_requested(survey=...)`: the respondent's thank-you page asks for the
  first-contact deadline promised to a detractor, in words; the first receiver that answers
  with words gives them (followups: the deadline's clock and calendar live there).
"""

import logging

from django.db import transaction
from django.dispatch import Signal

from npsapp.doorbell import Doorbell

logger = logging.getLogger(__name__)

survey_created = Signal()
response_submitted = Signal()
deadline_words_requested = Signal()


def _drain_task():
    from surveys.tasks import responses_announce_task

    return responses_announce_task


def _announce(items: list[str]) -> None:
    """Send `response_submitted` for each queued "<answer id>:<1 if corrected>", the answers read
    in one query as they now stand (an erased one is skipped)."""
    from surveys.models import Response

    queued = [(int(answer_id), flag == "1") for answer_id, _, flag in (item.partition(":") for item in items)]
    answers = Response.objects.select_related("survey", "invitation").in_bulk({answer_id for answer_id, _ in queued})
    for answer_id, corrected in queued:
        if answer_id in answers:
            _send(answers[answer_id], corrected=corrected)


ANSWERS = Doorbell("answers", task=_drain_task, handle=_announce)


def response_submitted_on_commit(response, *, corrected: bool = False) -> None:
    """Have a worker send `response_submitted` for `response` once the current transaction commits."""
    item = f"{response.pk}:{int(corrected)}"
    transaction.on_commit(lambda: ANSWERS.push(item))


def response_submitted_send(response_id: int, *, corrected: bool) -> None:
    """Send `response_submitted` for the answer as it now stands (nothing if it is gone: erased)."""
    _announce([f"{response_id}:{int(corrected)}"])


def _send(response, *, corrected: bool) -> None:
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
