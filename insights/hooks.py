"""How insights hears of new answers without the surveys app knowing it exists (surveys/signals.py).

Once an answer (a new one, or a correction) is committed, `response_submitted` publishes the
matching task when the answer has a comment. A lost message is caught up by the nightly task.
"""

from npsapp.publish import publish
from surveys import signals
from surveys.models import Response


def _response_submitted(sender, response: Response, **kwargs) -> None:
    if not response.comment:
        return
    from insights.tasks import response_match_themes_task

    publish(response_match_themes_task, response.id)


def connect() -> None:
    signals.response_submitted.connect(_response_submitted, dispatch_uid="insights-match-themes")
