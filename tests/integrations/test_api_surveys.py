from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from followups.services import ticket_open_for_response
from surveys.models import Invitation
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory

INVITATIONS = reverse("api:invitations")
RESPONSES = reverse("api:responses")
NPS = reverse("api:nps")


# --- Invitations ---------------------------------------------------------------------------------


def test_create_an_invitation_returns_the_personal_link(api, survey, customer):
    reply = api.post(INVITATIONS, {"customer": customer.external_id, "survey": str(survey.public_id)}, "json")
    assert reply.status_code == 201
    body = reply.json()
    invitation = Invitation.objects.get()
    assert body["url"] == invitation.url
    assert body["url"].endswith(f"/s/{invitation.token}/")
    assert (body["customer"], body["survey"], body["sent"]) == (customer.external_id, str(survey.public_id), False)
    assert body["expires_at"]
    assert mail.outbox == []


def test_send_emails_the_link_in_the_customers_language(api, survey):
    customer = CustomerFactory(first_name="Jeanne", email="jeanne@example.com", language="fr")
    reply = api.post(
        INVITATIONS, {"customer": customer.external_id, "survey": str(survey.public_id), "send": True}, "json"
    )
    assert reply.status_code == 201
    assert reply.json()["sent"] is True
    (message,) = mail.outbox
    assert message.to == ["jeanne@example.com"]
    assert message.subject == "Votre avis sur Maison Test"
    url = Invitation.objects.get().url
    assert "Jeanne" in message.body and url in message.body
    html = message.alternatives[0][0]
    assert 'lang="fr"' in html and f'href="{url}?score=10"' in html
    invitation = Invitation.objects.get()
    assert (invitation.delivery_status, invitation.delivery_attempts) == ("sent", 1)
    assert invitation.sent_at is not None


def test_send_to_a_customer_without_email_is_refused_before_anything_is_created(api, survey):
    customer = CustomerFactory(email="")
    reply = api.post(
        INVITATIONS, {"customer": customer.external_id, "survey": str(survey.public_id), "send": True}, "json"
    )
    assert reply.status_code == 409
    assert reply.json() == {"detail": "This customer has no email address.", "reason": "no_email"}
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_link_without_sending_needs_no_email(api, survey):
    customer = CustomerFactory(email="")
    reply = api.post(INVITATIONS, {"customer": customer.external_id, "survey": str(survey.public_id)}, "json")
    assert reply.status_code == 201


def test_a_mail_server_failure_still_returns_the_link(api, survey, customer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    reply = api.post(
        INVITATIONS, {"customer": customer.external_id, "survey": str(survey.public_id), "send": True}, "json"
    )
    assert reply.status_code == 201
    assert reply.json()["sent"] is False
    assert reply.json()["url"] == Invitation.objects.get().url
    invitation = Invitation.objects.get()
    assert invitation.delivery_status == "failed" and invitation.failure_reason  # the campaign pages show why


@pytest.mark.parametrize(
    "body, field",
    [
        ({"customer": "nobody", "survey": "SURVEY"}, "customer"),
        ({"customer": "CUSTOMER", "survey": "6f1c1c1c-0000-4000-8000-000000000000"}, "survey"),
        ({"customer": "CUSTOMER", "survey": "not-a-uuid"}, "survey"),
        ({"customer": "CUSTOMER"}, "survey"),
        ({"customer": "CUSTOMER", "survey": "SURVEY", "send": "maybe"}, "send"),
    ],
)
def test_bad_invitation_requests_get_field_messages(api, survey, customer, body, field):
    body = {
        key: {"SURVEY": str(survey.public_id), "CUSTOMER": customer.external_id}.get(v, v) for key, v in body.items()
    }
    reply = api.post(INVITATIONS, body, "json")
    assert reply.status_code == 400
    assert list(reply.json()) == [field]
    assert not Invitation.objects.exists()


def test_an_inactive_survey_cannot_be_sent(api, customer):
    survey = SurveyFactory(is_active=False)
    reply = api.post(INVITATIONS, {"customer": customer.external_id, "survey": str(survey.public_id)}, "json")
    assert reply.status_code == 400
    assert reply.json()["survey"]


# --- Responses -----------------------------------------------------------------------------------


def _ids(reply) -> list[str]:
    return [row["public_id"] for row in reply.json()["results"]]


def test_responses_newest_first_with_segment_customer_and_case(api, survey):
    now = timezone.now()
    old = ResponseFactory(score=10, survey=survey, invitation__survey=survey, submitted_at=now - timedelta(days=2))
    new = ResponseFactory(score=2, comment="Late", survey=survey, invitation__survey=survey)
    ticket = ticket_open_for_response(response=new)
    reply = api.get(RESPONSES)
    assert reply.status_code == 200
    assert _ids(reply) == [str(new.public_id), str(old.public_id)]
    row = reply.json()["results"][0]
    assert (row["score"], row["segment"], row["critical"], row["comment"]) == (2, "detractor", True, "Late")
    assert row["customer"] == new.customer.external_id
    assert row["case"] == str(ticket.public_id)
    assert row["survey"] == str(survey.public_id)


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"segment": "promoter"}, {9, 10}),
        ({"segment": "detractor"}, {0, 6}),
        ({"score_min": 6, "score_max": 9}, {6, 7, 9}),
        ({"channel": "public_form"}, {7}),
    ],
)
def test_response_filters(api, query, expected):
    for score in (0, 6, 9, 10):
        ResponseFactory(score=score)
    ResponseFactory(score=7, channel="public_form")
    reply = api.get(RESPONSES, query)
    assert reply.status_code == 200
    assert {row["score"] for row in reply.json()["results"]} == expected


def test_response_filters_by_survey_customer_and_date(api):
    now = timezone.now()
    wanted = ResponseFactory(submitted_at=now - timedelta(days=3))
    ResponseFactory(submitted_at=now - timedelta(days=10))
    ResponseFactory()
    assert _ids(api.get(RESPONSES, {"survey": str(wanted.survey.public_id)})) == [str(wanted.public_id)]
    assert _ids(api.get(RESPONSES, {"customer": wanted.customer.external_id})) == [str(wanted.public_id)]
    window = {
        "submitted_after": (now - timedelta(days=4)).isoformat(),
        "submitted_before": (now - timedelta(days=2)).isoformat(),
    }
    assert _ids(api.get(RESPONSES, window)) == [str(wanted.public_id)]


def test_anonymous_survey_responses_show_no_customer_and_are_not_found_by_customer(api):
    survey = SurveyFactory(is_anonymous=True)
    response = ResponseFactory(survey=survey, invitation__survey=survey)
    reply = api.get(reverse("api:response", args=[response.public_id]))
    assert reply.json()["customer"] is None
    assert _ids(api.get(RESPONSES, {"customer": response.invitation.customer.external_id})) == []


@pytest.mark.parametrize(
    "query, field",
    [
        ({"score_min": "11"}, "score_min"),
        ({"score_max": "high"}, "score_max"),
        ({"segment": "fan"}, "segment"),
        ({"survey": "not-a-uuid"}, "survey"),
        ({"submitted_after": "yesterday"}, "submitted_after"),
        ({"submitted_before": "0001-01-01T00:00:00+14:00"}, "submitted_before"),
    ],
)
def test_bad_response_filters_are_400_with_field_messages(api, query, field):
    reply = api.get(RESPONSES, query)
    assert reply.status_code == 400
    assert list(reply.json()) == [field]


def test_cursor_pages_through_every_response_once(api):
    now = timezone.now()
    made = [ResponseFactory(submitted_at=now - timedelta(hours=i)) for i in range(5)]
    ResponseFactory(submitted_at=made[2].submitted_at)  # a tie on the time is ordered by id
    seen, url = [], RESPONSES + "?page_size=2"
    while url:
        page = api.get(url).json()
        assert len(page["results"]) <= 2
        seen += [row["public_id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 6


def test_a_forged_cursor_is_404_not_500(api):
    import base64

    cursor = base64.b64encode(b"p=0001-01-01T00:00:00%2B14:00").decode()
    reply = api.get(RESPONSES, {"cursor": cursor})
    assert reply.status_code == 404
    assert api.get(RESPONSES, {"cursor": "garbage"}).status_code == 404


def test_response_list_queries_do_not_grow_with_rows(api, django_assert_num_queries):
    def add(n):
        for i in range(n):
            ticket_open_for_response(response=ResponseFactory(score=i % 11))

    add(3)
    api.get(RESPONSES)  # the first use of the token records it
    with django_assert_num_queries(3):  # the token, the page, the themes of the page
        api.get(RESPONSES)
    add(10)
    with django_assert_num_queries(3):
        assert len(api.get(RESPONSES).json()["results"]) == 13


def test_unknown_response_is_json_404(api):
    reply = api.get(reverse("api:response", args=["6f1c1c1c-0000-4000-8000-000000000000"]))
    assert reply.status_code == 404
    assert reply.json()["detail"]


# --- NPS summary ---------------------------------------------------------------------------------


def _mixed_answers():
    email, web = SurveyFactory(name="Email survey"), SurveyFactory(name="Web survey")
    now = timezone.now()
    for days_ago, score, survey in [
        (5, 10, email),
        (6, 9, email),
        (7, 2, email),
        (40, 8, web),
        (41, 0, web),
        (70, 10, web),
        (200, 3, email),
        (400, 9, email),
    ]:
        customer = CustomerFactory(gender="female" if score > 5 else "male")
        ResponseFactory(
            score=score,
            survey=survey,
            invitation__survey=survey,
            customer=customer,
            invitation__customer=customer,
            submitted_at=now - timedelta(days=days_ago),
        )
    return email


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"grain": "week", "dimension": "channel"},
        {"gender": "female", "dimension": "gender"},  # a CRM filter: read from the raw answers
        {"latest_only": "on", "grain": "week"},
        {"start": "SIXTY_DAYS_AGO", "survey": "EMAIL_SURVEY"},
    ],
)
def test_nps_summary_gives_the_dashboards_numbers(api, client, manager, query):
    email_survey = _mixed_answers()
    today = timezone.localdate()
    placeholders = {
        "SIXTY_DAYS_AGO": (today - timedelta(days=60)).isoformat(),
        "EMAIL_SURVEY": str(email_survey.public_id),
    }
    query = {key: placeholders.get(value, value) for key, value in query.items()}
    client.force_login(manager)
    dashboard = client.get(reverse("reporting:dashboard"), query).context["dashboard"]
    reply = api.get(NPS, query)
    assert reply.status_code == 200
    body = reply.json()
    current = dashboard.current
    assert (body["n"], body["promoters"], body["passives"], body["detractors"]) == (
        current.n,
        current.promoters,
        current.passives,
        current.detractors,
    )
    assert (body["nps"], body["margin"], body["band"]) == (current.score, current.margin, current.band_key)
    assert body["pct_promoters"] == current.pct_promoters and body["pct_detractors"] == current.pct_detractors
    assert (body["previous"]["n"], body["previous"]["nps"]) == (dashboard.previous.n, dashboard.previous.score)
    assert (body["change"], body["change_is_significant"]) == (dashboard.change, dashboard.change_is_significant)
    assert [(b["start"], b["n"], b["nps"]) for b in body["trend"]] == [
        (bucket.start.isoformat(), bucket.result.n, bucket.result.score) for bucket in dashboard.trend
    ]
    assert [(row["key"], row["n"], row["nps"]) for row in body["breakdown"]] == [
        (row.key, row.result.n, row.result.score) for row in dashboard.breakdown
    ]
    assert body["n"] > 0


def test_no_answers_is_no_score_not_zero(api):
    body = api.get(NPS).json()
    assert body["n"] == 0
    assert body["nps"] is None and body["margin"] is None and body["band"] is None


@pytest.mark.parametrize(
    "query, field",
    [
        ({"survey": "not-a-survey"}, "survey"),
        ({"start": "2026-05-01", "end": "2026-01-01"}, "non_field_errors"),
        ({"start": "2026-02-31"}, "start"),
        ({"grain": "decade"}, "grain"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
        ({"end": "9999-12-31"}, "end"),
    ],
)
def test_bad_nps_filters_are_400_with_field_messages(api, query, field):
    reply = api.get(NPS, query)
    assert reply.status_code == 400
    assert field in reply.json()
