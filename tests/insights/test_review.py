"""The theme review page: run discovery, accept, merge, rename, dismiss (managers only)."""

import pytest
from django.urls import reverse

from insights import services
from insights.models import DiscoveryRun, ProposalStatus, ThemeMatcher, ThemeProposal
from surveys.models import ResponseTheme, Theme, ThemeSource
from tests.factories import ResponseFactory
from tests.insights.corpus import labelled


@pytest.fixture
def answers(db):
    return [ResponseFactory(comment=text, score=3 if i % 3 else 9) for i, (text, _theme) in enumerate(labelled())]


@pytest.fixture
def run_done(answers, manager, django_capture_on_commit_callbacks):
    run = services.discovery_run_create(requested_by=manager)
    services.discovery_run_execute(run=run)
    return run


def _proposal(run, theme_words):
    return next(p for p in run.proposals.all() if any(word in p.key_phrases for word in theme_words))


def test_running_discovery_from_the_page_proposes_themes(client, manager, answers, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("insights:discover"), {"since": "", "until": ""})
    assert response.status_code == 302
    run = DiscoveryRun.objects.get()
    assert run.status == "done" and run.comments_read == len(answers)
    assert run.proposals.count() >= 3
    page = client.get(reverse("insights:review"))
    assert page.status_code == 200
    proposal = run.proposals.first()
    assert proposal.label in page.content.decode()


def test_the_review_page_is_for_managers(client, agent):
    client.force_login(agent)
    assert client.get(reverse("insights:review")).status_code == 403


def test_accept_makes_a_theme_with_key_phrases_as_keywords_and_tags_its_comments(client, manager, run_done):
    proposal = _proposal(run_done, ["prix", "cher"])
    client.force_login(manager)
    response = client.post(reverse("insights:accept", args=[proposal.public_id]), {"label": "Prix"})
    assert response.status_code == 302
    theme = Theme.objects.get(name="Prix")
    assert theme.name_fr == "Prix"
    assert "cher" in theme.keywords_fr.splitlines()
    assert ThemeMatcher.objects.filter(theme=theme).exists()
    tagged = set(
        ResponseTheme.objects.filter(theme=theme, source=ThemeSource.MEANING).values_list("response_id", flat=True)
    )
    assert tagged == set(proposal.response_ids)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED and proposal.decided_by == manager


def test_merge_folds_two_proposals_into_one(client, manager, run_done):
    english = _proposal(run_done, ["expensive"])
    french = _proposal(run_done, ["prix", "cher"])
    client.force_login(manager)
    client.post(reverse("insights:merge", args=[english.public_id]), {"into": str(french.public_id)})
    english.refresh_from_db()
    french.refresh_from_db()
    assert english.status == ProposalStatus.MERGED
    assert french.status == ProposalStatus.OPEN
    assert set(french.response_ids) >= set(english.response_ids)
    assert french.size == len(french.response_ids)
    assert "expensive" in french.key_phrases


def test_rename_changes_the_label(client, manager, run_done):
    proposal = run_done.proposals.first()
    client.force_login(manager)
    client.post(reverse("insights:rename", args=[proposal.public_id]), {"label": "Livraison"})
    proposal.refresh_from_db()
    assert proposal.label == "Livraison"


def test_a_dismissed_proposal_does_not_come_back_next_run(client, manager, run_done):
    proposal = _proposal(run_done, ["expensive"])
    client.force_login(manager)
    client.post(reverse("insights:dismiss", args=[proposal.public_id]))
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DISMISSED
    again = services.discovery_run_create()
    services.discovery_run_execute(run=again)
    assert again.proposals.exists()
    assert not again.proposals.filter(fingerprint=proposal.fingerprint).exists()
    # The earlier run's open proposals are replaced by the new run's.
    assert not ThemeProposal.objects.filter(run=run_done, status=ProposalStatus.OPEN).exists()


def test_an_accepted_proposal_is_not_proposed_again(manager, run_done):
    proposal = _proposal(run_done, ["prix", "cher"])
    services.proposal_accept(proposal=proposal, actor=manager)
    again = services.discovery_run_create()
    services.discovery_run_execute(run=again)
    assert not again.proposals.filter(fingerprint=proposal.fingerprint).exists()


def test_a_reviewed_proposal_cannot_be_reviewed_twice(client, manager, run_done):
    proposal = run_done.proposals.first()
    client.force_login(manager)
    client.post(reverse("insights:dismiss", args=[proposal.public_id]))
    assert client.post(reverse("insights:accept", args=[proposal.public_id])).status_code == 404
    assert not Theme.objects.exists()


def test_nightly_task_runs_discovery(answers, django_capture_on_commit_callbacks):
    from insights.tasks import themes_discover_nightly_task

    themes_discover_nightly_task.delay()
    run = DiscoveryRun.objects.get()
    assert run.status == "done" and run.requested_by is None and run.proposals.exists()


def test_the_nightly_run_is_in_the_beat_schedule(settings):
    entries = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "insights.tasks.themes_discover_nightly_task" in entries


def test_the_review_page_and_the_panel_speak_french(client, manager, run_done):
    client.force_login(manager)
    client.cookies["django_language"] = "fr"
    html = client.get(reverse("insights:review"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Thèmes trouvés dans les commentaires" in html and "Écarter" in html
    panel = client.get(reverse("insights:drivers"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Quoi corriger en premier" in panel and "Satisfaction moyenne" not in panel


def test_the_review_page_reads_a_fixed_number_of_queries(client, manager, run_done, django_assert_num_queries):
    client.force_login(manager)
    client.get(reverse("insights:review"))
    for proposal in run_done.proposals.all()[:2]:
        services.proposal_dismiss(proposal=proposal, actor=manager)
    with django_assert_num_queries(8):  # the survey list of the discovery form included
        assert client.get(reverse("insights:review")).status_code == 200


def test_discovery_from_the_page_can_read_one_survey_and_a_period(
    client, manager, answers, django_capture_on_commit_callbacks
):
    from tests.factories import SurveyFactory

    other = SurveyFactory(name="Store")
    for _ in range(3):
        ResponseFactory(comment="Le magasin était fermé", survey=other, invitation__survey=other)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("insights:discover"), {"survey": other.pk, "since": "", "until": ""})
    run = DiscoveryRun.objects.get()
    assert run.survey == other and run.comments_read == 3
    assert client.post(reverse("insights:discover"), {"since": "2025-05-02", "until": "2025-05-01"}).status_code == 302
    assert DiscoveryRun.objects.count() == 1  # the reversed period was refused
