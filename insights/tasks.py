"""Thin Celery wrappers: ids in, re-fetch, call one service."""

from celery import shared_task

from insights import services
from insights.models import DiscoveryRun
from surveys.models import Response


@shared_task
def discovery_run_task(run_id: int) -> int:
    """From the review page: execute a discovery run. Returns the proposals made."""
    run = DiscoveryRun.objects.filter(id=run_id).first()
    if run is None:
        return 0
    return len(services.discovery_run_execute(run=run))


@shared_task
def themes_discover_nightly_task() -> int:
    """Every night (beat): discover themes in recent comments, catch up on matching."""
    return services.discovery_nightly().id


@shared_task
def response_match_themes_task(response_id: int) -> int:
    """After an answer with a comment is saved: tag it with the accepted themes it is about."""
    response = Response.objects.filter(id=response_id).only("id", "comment").first()
    if response is None:
        return 0
    return services.response_match_themes(response=response)
