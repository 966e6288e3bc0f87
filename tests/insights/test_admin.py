"""Django admin: the discovery log and proposals read only, a matcher's threshold editable."""

from django.urls import reverse

from insights.models import DiscoveryRun, ThemeMatcher, ThemeProposal
from surveys.models import Theme


def test_admin_lists_runs_proposals_and_matchers_and_edits_a_threshold(client, admin_user):
    run = DiscoveryRun.objects.create(pipeline="tfidf", comments_read=40)
    ThemeProposal.objects.create(run=run, label="Livraison", language="fr", size=12, detractor_share=0.8)
    matcher = ThemeMatcher.objects.create(theme=Theme.objects.create(name="Delivery"), centroid={"late": 1.0})
    client.force_login(admin_user)
    for model in ("discoveryrun", "themeproposal", "themematcher"):
        assert client.get(reverse(f"admin:insights_{model}_changelist")).status_code == 200
    url = reverse("admin:insights_themematcher_change", args=[matcher.pk])
    assert client.post(url, {"threshold": "0.35", "is_complaint": "on"}).status_code == 302
    matcher.refresh_from_db()
    assert matcher.threshold == 0.35 and matcher.centroid == {"late": 1.0}
    assert client.get(reverse("admin:insights_themeproposal_add")).status_code == 403


def test_a_threshold_outside_0_to_1_is_refused(client, admin_user):
    matcher = ThemeMatcher.objects.create(theme=Theme.objects.create(name="Price"))
    client.force_login(admin_user)
    reply = client.post(reverse("admin:insights_themematcher_change", args=[matcher.pk]), {"threshold": "3"})
    assert reply.status_code == 200
    matcher.refresh_from_db()
    assert matcher.threshold == 0.2
