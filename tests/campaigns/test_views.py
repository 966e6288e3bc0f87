from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from campaigns.choices import CampaignStatus
from campaigns.models import Campaign, CampaignSkip
from campaigns.services import campaign_start
from surveys.choices import DeliveryStatus
from surveys.invitation_email import unsubscribe_token
from surveys.models import Invitation
from tests.campaigns.factories import CampaignFactory
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory

pytestmark = pytest.mark.django_db

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _local(moment):
    return timezone.localtime(moment).strftime(LOCAL_FORMAT)


# Access -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["campaigns:list", "campaigns:create", "campaigns:audience_count"])
def test_agents_and_outsiders_get_403(client, agent, outsider, name):
    for user in (agent, outsider):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("campaigns:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_agent_cannot_see_or_cancel_a_campaign(client, agent):
    campaign = CampaignFactory()
    client.force_login(agent)
    assert client.get(reverse("campaigns:detail", args=[campaign.id])).status_code == 403
    assert client.post(reverse("campaigns:cancel", args=[campaign.id])).status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED


def test_nav_shows_campaigns_to_managers_only(client, manager, agent):
    client.force_login(manager)
    assert reverse("campaigns:list") in client.get(reverse("campaigns:list")).content.decode()
    client.force_login(agent)
    assert reverse("campaigns:list") not in client.get(reverse("followups:inbox")).content.decode()


# Create -----------------------------------------------------------------------------------------------


def test_manager_schedules_a_campaign_for_a_segment(client, manager):
    survey = SurveyFactory()
    CustomerFactory(region="Bretagne")
    CustomerFactory(region="Alsace")
    client.force_login(manager)
    send_at = timezone.now() + timedelta(days=1)

    response = client.post(
        reverse("campaigns:create"),
        {"name": "Bretons", "survey": survey.id, "send_at": _local(send_at), "region": "Bretagne", "action": "create"},
    )

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.id])
    assert campaign.audience == {"region": "Bretagne"}
    assert campaign.created_by == manager
    assert abs(campaign.send_at - send_at) < timedelta(minutes=1)


def test_form_refuses_clearly_and_keeps_what_was_typed(client, manager):
    CustomerFactory(region="Bretagne")
    inactive = SurveyFactory(is_active=False, name="Old survey")
    client.force_login(manager)
    data = {
        "name": "Mon envoi très spécial",
        "survey": inactive.id,
        "send_at": _local(timezone.now() - timedelta(hours=1)),
    }

    response = client.post(reverse("campaigns:create"), data)

    body = response.content.decode()
    assert response.status_code == 400
    assert "This survey is not active" in body
    assert 'value="Mon envoi très spécial"' in body
    assert not Campaign.objects.exists()

    response = client.post(reverse("campaigns:create"), {**data, "survey": SurveyFactory().id})
    assert "This send time is in the past" in response.content.decode()

    response = client.post(
        reverse("campaigns:create"),
        {
            **data,
            "survey": SurveyFactory().id,
            "send_at": _local(timezone.now()),
            "region": "Bretagne",
            "gender": "female",
        },
    )
    assert "No customer matches this audience" in response.content.decode()
    assert not Campaign.objects.exists()


def test_count_button_and_live_count_show_the_audience_size(client, manager):
    CustomerFactory(plan="premium")
    CustomerFactory(plan="premium", email="")
    CustomerFactory(plan="basic")
    client.force_login(manager)

    page = client.get(reverse("campaigns:create"))
    assert "3 customers match." in page.content.decode()

    counted = client.post(
        reverse("campaigns:create"),
        {
            "name": "x",
            "survey": SurveyFactory().id,
            "send_at": _local(timezone.now()),
            "plan": "premium",
            "action": "count",
        },
    )
    assert "2 customers match." in counted.content.decode()
    assert "1 can be invited now" in counted.content.decode()
    assert not Campaign.objects.exists()

    live = client.get(reverse("campaigns:audience_count"), {"plan": "premium"}, HTTP_HX_REQUEST="true")
    assert "2 customers match." in live.content.decode()
    assert "<html" not in live.content.decode()


# List, detail, cancel ---------------------------------------------------------------------------------


def _sent_campaign(region="Bretagne"):
    for _ in range(3):
        CustomerFactory(region=region)
    CustomerFactory(email="", region=region)
    campaign = CampaignFactory(audience={"region": region})
    campaign_start(campaign_id=campaign.id, publish=False)
    invitations = list(Invitation.objects.filter(campaign=campaign).order_by("id"))
    Invitation.objects.filter(id=invitations[0].id).update(
        delivery_status=DeliveryStatus.SENT, sent_at=timezone.now(), opened_at=timezone.now()
    )
    ResponseFactory(invitation=invitations[0])
    Invitation.objects.filter(id=invitations[1].id).update(
        delivery_status=DeliveryStatus.FAILED, failure_reason="SMTPRecipientsRefused: no such user"
    )
    Invitation.objects.filter(id__in=[i.id for i in invitations[2:]]).update(
        delivery_status=DeliveryStatus.SENT, sent_at=timezone.now()
    )
    return campaign


def test_list_shows_counts_with_a_fixed_number_of_queries(client, manager, django_assert_num_queries):
    for region in ("Alsace", "Bretagne", "Corse"):
        _sent_campaign(region)
    client.force_login(manager)
    client.get(reverse("campaigns:list"))  # warm the session and role caches

    # session, user, roles, count, page.
    with django_assert_num_queries(5):
        response = client.get(reverse("campaigns:list"))

    body = response.content.decode()
    assert response.status_code == 200
    row = body[body.index(reverse("campaigns:detail", args=[Campaign.objects.first().id])) :]
    # invited 3, sent 2, failed 1, opened 1, answered 1, rate 50 %, skipped 1.
    cells = [c.split("</td>")[0].strip() for c in row.split('<td class="nps-num">')[1:8]]
    assert cells == ["3", "2", "1", "1", "1", "50 %", "1"]


def test_detail_shows_figures_failures_skips_and_invitations(client, manager, django_assert_num_queries):
    campaign = _sent_campaign()
    client.force_login(manager)
    client.get(reverse("campaigns:detail", args=[campaign.id]))

    # session, user, roles, campaign, counts, skip reasons, failures, invitations count+page, skips count+page.
    with django_assert_num_queries(11):
        response = client.get(reverse("campaigns:detail", args=[campaign.id]))

    body = response.content.decode()
    assert "SMTPRecipientsRefused: no such user" in body
    assert "No email address: 1" in body
    assert "Region: Bretagne" in body


def test_detail_pages_skipped_customers(client, manager):
    for _ in range(55):
        CustomerFactory(email="")
    CustomerFactory()
    campaign = CampaignFactory()
    campaign_start(campaign_id=campaign.id, publish=False)
    client.force_login(manager)
    response = client.get(reverse("campaigns:detail", args=[campaign.id]), {"skipped_page": 2})
    assert response.context["skips"].number == 2
    assert len(response.context["skips"].object_list) == 5
    assert CampaignSkip.objects.count() == 55


def test_cancel_a_scheduled_campaign(client, manager):
    campaign = CampaignFactory(send_at=timezone.now() + timedelta(days=1))
    client.force_login(manager)
    response = client.post(reverse("campaigns:cancel", args=[campaign.id]), follow=True)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert "Campaign cancelled" in response.content.decode()

    again = client.post(reverse("campaigns:cancel", args=[campaign.id]), follow=True)
    assert "Only a scheduled campaign can be cancelled" in again.content.decode()


# Unsubscribe ------------------------------------------------------------------------------------------


def test_unsubscribe_get_confirms_and_post_unsubscribes(client, invitation):
    url = reverse("campaigns:unsubscribe", args=[unsubscribe_token(invitation)])

    page = client.get(url)
    invitation.customer.refresh_from_db()
    assert page.status_code == 200
    assert invitation.customer.surveys_opted_out_at is None
    assert "Unsubscribe from survey emails?" in page.content.decode()

    done = client.post(url)
    invitation.customer.refresh_from_db()
    assert done.status_code == 200
    assert invitation.customer.surveys_opted_out_at is not None
    assert "You are unsubscribed." in done.content.decode()
    assert "already unsubscribed" in client.get(url).content.decode()


def test_one_click_unsubscribe_works_without_csrf_token(invitation):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("campaigns:unsubscribe", args=[unsubscribe_token(invitation)]))
    invitation.customer.refresh_from_db()
    assert response.status_code == 200
    assert invitation.customer.surveys_opted_out_at is not None


def test_unsubscribe_with_a_forged_or_raw_token_changes_nothing(client, invitation):
    for signed in (invitation.token, unsubscribe_token(invitation)[:-2] + "xx", str(invitation.id)):
        response = client.post(reverse("campaigns:unsubscribe", args=[signed]))
        assert response.status_code == 404
    invitation.customer.refresh_from_db()
    assert invitation.customer.surveys_opted_out_at is None


def test_unsubscribe_page_speaks_the_customers_language(client):
    customer = CustomerFactory(language="fr")
    from surveys.services import invitation_create

    invitation = invitation_create(survey=SurveyFactory(), customer=customer)
    response = client.get(reverse("campaigns:unsubscribe", args=[unsubscribe_token(invitation)]))
    assert '<html lang="fr"' in response.content.decode()


def test_unsubscribe_link_in_a_sent_email_leads_to_the_page(client, invitation):
    from surveys.invitation_email import invitation_email_send

    invitation_email_send(invitation=invitation)
    link = mail.outbox[0].extra_headers["List-Unsubscribe"][1:-1]
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200


def test_live_count_asks_to_correct_a_wrong_filter(client, manager):
    client.force_login(manager)
    response = client.get(reverse("campaigns:audience_count"), {"age_band": "200+"})
    assert "Correct the filters" in response.content.decode()


def test_a_filter_on_a_custom_attribute_is_kept_and_described(client, manager):
    from crm.models import CustomAttribute

    CustomAttribute.objects.create(key="store", label="Favourite store", type="choice", choices="Paris\nLyon")
    CustomerFactory(custom_attributes={"store": "Lyon"})
    client.force_login(manager)
    response = client.post(
        reverse("campaigns:create"),
        {"name": "Lyon", "survey": SurveyFactory().id, "send_at": _local(timezone.now()), "attr_store": "Lyon"},
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert campaign.audience == {"attr_store": "Lyon"}
    assert "Favourite store: Lyon" in client.get(response["Location"]).content.decode()
