"""`manage.py discover_themes --json`, and erased customers' comments leaving discovery."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from insights import selectors, services
from privacy.services import customer_erase
from surveys.models import Response
from tests.factories import ResponseFactory
from tests.insights.corpus import labelled


@pytest.fixture
def answers(db):
    old = timezone.now() - timedelta(days=400)
    rows = [ResponseFactory(comment=text, score=3) for text, _theme in labelled()]
    ResponseFactory(comment="Colis perdu, livraison en retard", score=2, submitted_at=old)
    return rows


def test_discover_themes_prints_themes_with_labels_key_phrases_and_public_ids(answers):
    out = StringIO()
    since = (timezone.localdate() - timedelta(days=30)).isoformat()
    call_command("discover_themes", "--json", "--since", since, stdout=out)
    themes = json.loads(out.getvalue())
    assert len(themes) >= 3
    public_ids = {str(response.public_id) for response in answers}
    listed = [response_id for theme in themes for response_id in theme["response_ids"]]
    assert set(listed) == public_ids and len(listed) == len(public_ids)
    for theme in themes:
        assert theme["label"] and theme["key_phrases"]
    labels = {theme["label"] for theme in themes}
    assert "Prix" in labels


def test_discover_themes_until_leaves_later_answers_out(answers):
    out = StringIO()
    until = (timezone.localdate() - timedelta(days=300)).isoformat()
    call_command("discover_themes", "--json", "--until", until, stdout=out)
    assert json.loads(out.getvalue()) == []  # one old comment: too few to group


def test_an_erased_customers_comments_leave_discovery_and_the_examples(client, manager, admin_user, answers):
    run = services.discovery_run_create()
    services.discovery_run_execute(run=run)
    proposal = run.proposals.first()
    example = Response.objects.select_related("customer").get(id=proposal.example_ids[0])
    read_before = selectors.discovery_responses().count()
    client.force_login(manager)
    assert escape(example.comment) in client.get(reverse("insights:review")).content.decode()
    customer_erase(customer=example.customer, actor=admin_user)
    assert selectors.discovery_responses().count() == read_before - 1
    assert example.id not in [c.id for c in selectors.discovery_comments(selectors.discovery_responses())]
    html = client.get(reverse("insights:review")).content.decode()
    assert escape(example.comment) not in html
    again = services.discovery_run_create()
    services.discovery_run_execute(run=again)
    again.refresh_from_db()
    assert again.comments_read == run.comments_read - 1
