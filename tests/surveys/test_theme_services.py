import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from surveys import admin as surveys_admin
from surveys import services
from surveys.models import Response, ResponseTheme, Theme, ThemeSource
from surveys.tasks import theme_reapply_rules_task
from tests.factories import ResponseFactory


@pytest.fixture
def delivery(db):
    return Theme.objects.create(
        name="Delivery", name_fr="Livraison", keywords_en="late delivery\nparcel", keywords_fr="retard\ncolis"
    )


@pytest.fixture
def price(db):
    return Theme.objects.create(name="Price", keywords_en="expensive", keywords_fr="prix\ncher")


def _links(**filters):
    return set(ResponseTheme.objects.filter(**filters).values_list("response__comment", "theme__name", "source"))


def test_apply_rules_links_matching_comments_in_any_language(delivery, price):
    responses = [
        ResponseFactory(comment="Colis en retard !"),
        ResponseFactory(comment="Late delivery and the price was too expensive"),
        ResponseFactory(comment="Parfait"),
        ResponseFactory(comment=""),
    ]
    assert services.response_themes_apply_rules(responses=responses) == 3
    assert _links() == {
        ("Colis en retard !", "Delivery", ThemeSource.RULE),
        ("Late delivery and the price was too expensive", "Delivery", ThemeSource.RULE),
        ("Late delivery and the price was too expensive", "Price", ThemeSource.RULE),
    }


def test_apply_rules_is_idempotent_and_keeps_manual_tags(delivery, agent, django_assert_num_queries):
    response = ResponseFactory(comment="retard")
    services.response_tag_theme(response=response, theme=delivery, actor=agent)
    for _ in range(3):
        ResponseFactory(comment="colis")
    responses = list(Response.objects.all())
    # One query for the themes, one INSERT with conflicts ignored: nothing per response.
    with django_assert_num_queries(2):
        assert services.response_themes_apply_rules(responses=responses) == 4
    services.response_themes_apply_rules(responses=responses)
    assert ResponseTheme.objects.count() == 4
    link = ResponseTheme.objects.get(response=response)
    assert (link.source, link.tagged_by) == (ThemeSource.MANUAL, agent)


def test_apply_rules_ignores_inactive_themes_and_themes_without_keywords(db):
    Theme.objects.create(name="Old", keywords_en="retard", is_active=False)
    Theme.objects.create(name="Manual only")
    assert services.response_themes_apply_rules(responses=[ResponseFactory(comment="retard")]) == 0
    assert not ResponseTheme.objects.exists()


def test_reapply_rules_follows_new_keywords_and_keeps_manual_tags(delivery, price, agent):
    late = ResponseFactory(comment="Colis en retard")
    broken = ResponseFactory(comment="Colis cassé")
    tagged = ResponseFactory(comment="Nothing to do with it")
    ResponseFactory(comment="")
    services.response_themes_apply_rules(responses=Response.objects.all())
    services.response_tag_theme(response=tagged, theme=delivery, actor=agent)
    price_link = services.response_tag_theme(response=late, theme=price, actor=agent)

    delivery.keywords_en, delivery.keywords_fr = "", "cassé"
    delivery.save()
    assert services.theme_reapply_rules(theme=delivery) == 1

    assert _links(theme=delivery) == {
        (broken.comment, "Delivery", ThemeSource.RULE),
        (tagged.comment, "Delivery", ThemeSource.MANUAL),
    }
    assert ResponseTheme.objects.filter(id=price_link.id).exists()
    # Running it again changes nothing.
    services.theme_reapply_rules(theme=delivery)
    assert ResponseTheme.objects.filter(theme=delivery).count() == 2


def test_reapply_rules_of_a_deactivated_theme_removes_only_its_rule_links(delivery, agent):
    late, manual = ResponseFactory(comment="retard"), ResponseFactory(comment="retard aussi")
    services.response_themes_apply_rules(responses=[late])
    services.response_tag_theme(response=manual, theme=delivery, actor=agent)
    delivery.is_active = False
    delivery.save()
    assert services.theme_reapply_rules(theme=delivery) == 0
    assert _links() == {("retard aussi", "Delivery", ThemeSource.MANUAL)}


def test_reapply_rules_reads_in_batches(delivery, monkeypatch):
    monkeypatch.setattr(services, "THEME_BATCH_SIZE", 2)
    for n in range(5):
        ResponseFactory(comment=f"colis {n}")
    assert services.theme_reapply_rules(theme=delivery) == 5
    assert ResponseTheme.objects.filter(theme=delivery, source=ThemeSource.RULE).count() == 5


def test_tag_turns_a_rule_link_into_a_manual_one(delivery, agent):
    response = ResponseFactory(comment="retard")
    services.response_themes_apply_rules(responses=[response])
    link = services.response_tag_theme(response=response, theme=delivery, actor=agent)
    assert (link.source, link.tagged_by) == (ThemeSource.MANUAL, agent)
    assert ResponseTheme.objects.get() == link
    # Tagging again is harmless.
    services.response_tag_theme(response=response, theme=delivery, actor=agent)
    assert ResponseTheme.objects.count() == 1


def test_tag_refuses_an_inactive_theme(agent, db):
    retired = Theme.objects.create(name="Retired", is_active=False)
    with pytest.raises(ValidationError):
        services.response_tag_theme(response=ResponseFactory(), theme=retired, actor=agent)
    assert not ResponseTheme.objects.exists()


def test_untag_removes_any_link_and_says_whether_there_was_one(delivery, price, agent):
    response = ResponseFactory(comment="retard")
    services.response_themes_apply_rules(responses=[response])
    services.response_tag_theme(response=response, theme=price, actor=agent)
    assert services.response_untag_theme(response=response, theme=delivery, actor=agent) is True
    assert services.response_untag_theme(response=response, theme=price, actor=agent) is True
    assert services.response_untag_theme(response=response, theme=price, actor=agent) is False
    assert not ResponseTheme.objects.exists()


@pytest.mark.parametrize(
    "language, name_fr, expected",
    [("fr", "Livraison", "Livraison"), ("fr", "", "Delivery"), ("en", "Livraison", "Delivery")],
)
def test_theme_label_follows_the_active_language(language, name_fr, expected):
    with translation.override(language):
        assert Theme(name="Delivery", name_fr=name_fr).label == expected


def test_reapply_task_returns_quietly_when_the_theme_is_gone(db):
    assert theme_reapply_rules_task(987654) == 0


def test_admin_action_reapplies_the_rules_and_lists_counts(client, admin_user, delivery, price):
    ResponseFactory(comment="colis perdu")
    client.force_login(admin_user)
    changelist = reverse("admin:surveys_theme_changelist")
    reply = client.post(
        changelist, {"action": "reapply_keyword_rules", "_selected_action": [delivery.pk, price.pk]}, follow=True
    )
    assert reply.status_code == 200
    assert "Keyword rules will be re-applied for 2 themes" in reply.content.decode()
    assert _links() == {("colis perdu", "Delivery", ThemeSource.RULE)}
    page = client.get(changelist)
    assert [(theme.name, theme.response_count) for theme in page.context["cl"].result_list] == [
        ("Delivery", 1),
        ("Price", 0),
    ]


def test_admin_action_says_when_the_queue_is_down(client, admin_user, delivery, monkeypatch):
    monkeypatch.setattr(surveys_admin, "publish", lambda task, *args: False)
    client.force_login(admin_user)
    reply = client.post(
        reverse("admin:surveys_theme_changelist"),
        {"action": "reapply_keyword_rules", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert "could not be queued" in reply.content.decode()


def test_new_comments_are_tagged_by_the_periodic_task(db):
    from surveys.models import ResponseTheme, Theme
    from surveys.services import responses_tag_new_with_themes
    from tests.factories import ResponseFactory

    delivery = Theme.objects.create(name="Delivery", keywords_en="late\ndelivery", keywords_fr="retard\nlivraison")
    first = ResponseFactory(score=2, comment="Livraison en retard")
    assert responses_tag_new_with_themes() >= 1
    assert responses_tag_new_with_themes() == 0  # nothing new
    second = ResponseFactory(score=3, comment="It came late")
    ResponseFactory(score=9, comment="Lovely lamp")
    responses_tag_new_with_themes()
    tagged = set(ResponseTheme.objects.filter(theme=delivery).values_list("response_id", flat=True))
    assert tagged == {first.id, second.id}
