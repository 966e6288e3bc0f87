"""How insights hears of new answers without the surveys app knowing it exists.

Django's own `post_save` of a Response (a new answer, or a correction that changes the
comment) publishes the matching task once the transaction commits. A lost message is caught
up by the nightly task.
"""

from django.db.models.signals import post_save

from npsapp.publish import publish_on_commit
from surveys.models import Response


def _response_saved(sender, instance: Response, created: bool, update_fields=None, **kwargs) -> None:
    if kwargs.get("raw") or not instance.comment:
        return
    if created or update_fields is None or "comment" in update_fields:
        from insights.tasks import response_match_themes_task

        publish_on_commit(response_match_themes_task, instance.id)


def connect() -> None:
    post_save.connect(_response_saved, sender=Response, dispatch_uid="insights-match-themes")
