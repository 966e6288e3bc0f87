import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from conversations import selectors, services, views
from conversations.models import LoopMessage, Message
from followups import services as followup_services
from followups.models import Team
from surveys.models import ResponseTheme
from tests.conversations.factories import ThemeFactory, case_for

INBOUND = reverse("conversations:inbound_email")
LOOP = reverse("conversations:close_the_loop")


@pytest.fixture
def ticket(db):
    return case_for(first_name="Jeanne", email="jeanne@example.com", comment="Lamp arrived <b>broken</b>")


def _reply_url(ticket):
    return reverse("conversations:case_reply", args=[ticket.public_id])


def _case_url(ticket):
    return reverse("followups:ticket", args=[ticket.public_id])


# --- Staff reply page -----------------------------------------------------------------------------


def test_reply_form_is_prefilled_from_the_default_template(client, agent, ticket):
    client.force_login(agent)
    page = client.get(_reply_url(ticket))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hello Jeanne," in html
    # The customer's words are escaped in the form.
    assert "&lt;b&gt;broken&lt;/b&gt;" in html and "<b>broken</b>" not in html


def test_another_template_can_be_loaded_without_javascript(client, agent, ticket):
    from conversations.models import ReplyTemplate

    french = ReplyTemplate.objects.get(segment="detractor", language="fr", is_default=True)
    client.force_login(agent)
    html = client.get(_reply_url(ticket), {"template": french.id}).content.decode()
    assert "Bonjour Jeanne," in html


def test_sending_redirects_to_the_case_with_a_message(client, agent, ticket, django_capture_on_commit_callbacks):
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(_reply_url(ticket), {"subject": "Sorry", "body": "We will replace it."})
    assert page.status_code == 302 and page["Location"] == _case_url(ticket)
    assert len(mail.outbox) == 1
    assert Message.objects.get().body == "We will replace it."


def test_a_customer_without_email_gets_a_clear_error_and_the_text_is_kept(client, agent, db):
    ticket = case_for(email="")
    client.force_login(agent)
    page = client.post(_reply_url(ticket), {"subject": "Sorry", "body": "My long careful apology"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "no email address" in html
    assert "My long careful apology" in html
    assert not Message.objects.exists()


def test_an_invalid_form_keeps_the_typed_text(client, agent, ticket):
    client.force_login(agent)
    page = client.post(_reply_url(ticket), {"subject": "", "body": "Typed with care"})
    assert page.status_code == 400
    assert "Typed with care" in page.content.decode()


def test_reply_page_needs_a_role_and_a_visible_case(client, outsider, other_agent, ticket):
    client.force_login(outsider)
    assert client.get(_reply_url(ticket)).status_code == 403
    team = Team.objects.create(name="Elsewhere")
    type(ticket).objects.filter(id=ticket.id).update(team=team)
    client.force_login(other_agent)
    assert client.post(_reply_url(ticket), {"subject": "x", "body": "y"}).status_code == 404
    assert not Message.objects.exists()


# --- The include on the case page ----------------------------------------------------------------


def test_conversation_shows_emails_apart_from_notes(agent, ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outbound = services.message_reply_send(ticket=ticket, actor=agent, subject="Sorry", body="We are on it")
    services.customer_reply_receive(message=outbound, body="Thank you <3")
    followup_services.ticket_add_note(ticket=ticket, actor=agent, body="SECRET internal remark")
    request = RequestFactory().get("/")
    request.user = agent
    conversation = selectors.case_conversation(ticket=ticket, user=agent)
    html = render_to_string(
        "conversations/_case_conversation.html", {"ticket": ticket, "conversation": conversation}, request=request
    )
    assert "Email to the customer" in html and "Reply from the customer" in html
    assert "We are on it" in html and "Thank you &lt;3" in html
    assert "SECRET internal remark" not in html
    assert "Sent" in html


def test_conversation_reads_in_a_fixed_number_of_queries(agent, ticket, django_assert_num_queries):
    for n in range(5):
        services.message_reply_send(ticket=ticket, actor=agent, subject=f"S{n}", body="b")
    ticket = (
        type(ticket).objects.select_related("response__survey__brand", "customer", "survey__brand").get(id=ticket.id)
    )
    # Templates and messages (with authors): two queries, whatever the number of messages.
    with django_assert_num_queries(2):
        conversation = selectors.case_conversation(ticket=ticket, user=agent)
    assert len(conversation["messages"]) == 5


def test_conversation_explains_why_nobody_can_be_emailed(agent, db):
    ticket = case_for(erased_at=timezone.now())
    conversation = selectors.case_conversation(ticket=ticket, user=agent)
    assert conversation["can_email"] is False
    assert "erased" in conversation["cannot_email_reason"]


# --- The customer's reply page --------------------------------------------------------------------


@pytest.fixture
def outbound(agent, ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.message_reply_send(ticket=ticket, actor=agent, subject="Sorry", body="Can we call you?")


def _link(message):
    return reverse("conversations:customer_reply", args=[message.reply_token])


def test_customer_reads_the_message_and_get_changes_nothing(client, outbound):
    page = client.get(_link(outbound))
    assert page.status_code == 200
    assert "Can we call you?" in page.content.decode()
    assert Message.objects.count() == 1


def test_customer_answers_without_logging_in(client, outbound):
    page = client.post(_link(outbound), {"body": "Yes, after 6pm."})
    assert page.status_code == 200
    assert "we received your answer" in page.content.decode()
    reply = Message.objects.get(direction="in")
    assert (reply.ticket_id, reply.body, reply.channel) == (outbound.ticket_id, "Yes, after 6pm.", "web")


def test_an_empty_answer_is_refused(client, outbound):
    page = client.post(_link(outbound), {"body": "   "})
    assert page.status_code == 400
    assert not Message.objects.filter(direction="in").exists()


def test_a_rate_limited_answer_keeps_the_typed_text(client, outbound, monkeypatch):
    monkeypatch.setattr(views, "REPLY_POSTS_PER_HOUR_PER_LINK", 1)
    client.post(_link(outbound), {"body": "First"})
    page = client.post(_link(outbound), {"body": "Second, typed again"})
    assert page.status_code == 429
    assert "Second, typed again" in page.content.decode()
    assert Message.objects.filter(direction="in").count() == 1


def test_unknown_link_is_a_polite_404(client, db):
    page = client.get(reverse("conversations:customer_reply", args=["not-a-real-token-at-all"]))
    assert page.status_code == 404
    assert "could not find this link" in page.content.decode()


def test_an_old_link_is_gone(client, agent, ticket, settings):
    with time_machine.travel(timezone.now() - timedelta(days=settings.NPSAPP_REPLY_LINK_DAYS + 1)):
        message = services.message_reply_send(ticket=ticket, actor=agent, subject="Old", body="Old text")
    assert client.get(_link(message)).status_code == 410
    assert client.post(_link(message), {"body": "Late"}).status_code == 410
    assert not Message.objects.filter(direction="in").exists()


# --- Inbound email ---------------------------------------------------------------------------------


def test_inbound_is_refused_when_no_secret_is_configured(client, outbound, settings):
    settings.NPSAPP_INBOUND_EMAIL_SECRET = ""
    page = client.post(INBOUND, {"to": f"reply+{outbound.reply_token}@x.test", "text": "hi"})
    assert page.status_code == 403


def test_inbound_with_a_wrong_secret_is_refused(client, outbound, settings):
    settings.NPSAPP_INBOUND_EMAIL_SECRET = "s3cret"
    page = client.post(
        INBOUND, {"to": f"reply+{outbound.reply_token}@x.test", "text": "hi"}, HTTP_X_NPSAPP_INBOUND_SECRET="nope"
    )
    assert page.status_code == 403
    assert not Message.objects.filter(direction="in").exists()


@pytest.mark.parametrize("as_json", [True, False])
def test_inbound_reply_lands_on_the_case(client, outbound, settings, as_json):
    settings.NPSAPP_INBOUND_EMAIL_SECRET = "s3cret"
    data = {
        "to": f"reply+{outbound.reply_token}@in.example.com",
        "from": "Jeanne <jeanne@example.com>",
        "subject": "Re: Sorry",
        "text": "Call me tomorrow.\n> Can we call you?",
    }
    kwargs = {"HTTP_X_NPSAPP_INBOUND_SECRET": "s3cret"}
    if as_json:
        page = client.post(INBOUND, json.dumps(data), content_type="application/json", **kwargs)
    else:
        page = client.post(INBOUND, data, **kwargs)
    assert page.status_code == 201
    reply = Message.objects.get(direction="in")
    assert (reply.body, reply.channel, reply.ticket_id) == ("Call me tomorrow.", "email", outbound.ticket_id)


def test_inbound_to_an_unknown_address_is_404(client, db, settings):
    settings.NPSAPP_INBOUND_EMAIL_SECRET = "s3cret"
    page = client.post(
        INBOUND, {"to": "reply+unknownunknownunknown@x.test", "text": "hi"}, HTTP_X_NPSAPP_INBOUND_SECRET="s3cret"
    )
    assert page.status_code == 404


# --- Close the loop --------------------------------------------------------------------------------


@pytest.fixture
def tagged(db):
    theme = ThemeFactory()
    ticket = case_for(first_name="Jeanne", language="en")
    ResponseTheme.objects.create(response=ticket.response, theme=theme, source="manual")
    return theme


def _loop_data(theme, **extra):
    today = timezone.localdate()
    return {
        "theme": theme.id,
        "period_start": (today - timedelta(days=7)).isoformat(),
        "period_end": today.isoformat(),
        "subject_en": "Fixed",
        "body_en": "Hello {first_name}, we fixed it.",
        "subject_fr": "Corrigé",
        "body_fr": "Bonjour {first_name}, c'est corrigé.",
        **extra,
    }


def test_close_the_loop_is_for_managers(client, agent, manager, db):
    client.force_login(agent)
    assert client.get(LOOP).status_code == 403
    client.force_login(manager)
    assert client.get(LOOP).status_code == 200


def test_preview_counts_lists_and_renders_one_email_without_sending(client, manager, tagged):
    client.force_login(manager)
    page = client.post(LOOP, {**_loop_data(tagged), "action": "preview"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 customer will receive this email." in html
    assert "Hello Jeanne, we fixed it." in html
    assert page.context["form"]["key"].value()
    assert mail.outbox == [] and not LoopMessage.objects.exists()


def test_send_after_preview_sends_once_even_if_posted_twice(
    client, manager, tagged, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    preview = client.post(LOOP, {**_loop_data(tagged), "action": "preview"})
    key = preview.context["form"]["key"].value()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(LOOP, {**_loop_data(tagged), "key": key, "action": "send"})
        client.post(LOOP, {**_loop_data(tagged), "key": key, "action": "send"})
    assert first.status_code == 302
    assert LoopMessage.objects.count() == 1
    assert len(mail.outbox) == 1


def test_send_without_preview_only_previews(client, manager, tagged):
    client.force_login(manager)
    page = client.post(LOOP, {**_loop_data(tagged), "action": "send"})
    assert page.status_code == 200
    assert not LoopMessage.objects.exists()


def test_invalid_loop_form_keeps_the_texts(client, manager, tagged):
    client.force_login(manager)
    page = client.post(LOOP, {**_loop_data(tagged, subject_fr=""), "action": "preview"})
    assert page.status_code == 400
    assert "Hello {first_name}, we fixed it." in page.content.decode()


def test_nav_shows_close_the_loop_to_managers_only(client, agent, manager):
    client.force_login(manager)
    assert LOOP in client.get(reverse("followups:inbox")).content.decode()
    client.force_login(agent)
    assert LOOP not in client.get(reverse("followups:inbox")).content.decode()


def test_admin_pages_load(client, admin_user, outbound):
    client.force_login(admin_user)
    for name in ("replytemplate", "message", "loopmessage"):
        assert client.get(reverse(f"admin:conversations_{name}_changelist")).status_code == 200
    template = outbound.ticket.messages.first()
    assert client.get(reverse("admin:conversations_message_change", args=[template.id])).status_code == 200


def test_case_page_shows_the_conversation_and_the_reply_form(client, agent, outbound):
    client.force_login(agent)
    html = client.get(_case_url(outbound.ticket)).content.decode()
    assert "Emails with the customer" in html
    assert "Can we call you?" in html
    assert f'action="{_reply_url(outbound.ticket)}"' in html


def test_a_resolved_case_does_not_prefill_a_new_apology(agent, ticket):
    assert selectors.case_conversation(ticket=ticket, user=agent)["reply_form"].initial.get("body")
    followup_services.ticket_set_status(ticket=ticket, actor=agent, status="resolved", outcome="recovered")
    conversation = selectors.case_conversation(ticket=ticket, user=agent)
    form = conversation["reply_form"]
    assert not form.initial.get("body") and not form.initial.get("subject")
    # Picking a template on purpose still loads it.
    template = conversation["reply_template"]
    chosen = selectors.case_conversation(ticket=ticket, user=agent, template_id=template.id)["reply_form"]
    assert chosen.initial["body"]


@pytest.mark.parametrize(
    ("domain", "said", "not_said"),
    [
        ("", "utilisez le lien en bas de cet e-mail", "répondre à cet e-mail"),
        ("in.example.com", "Il vous suffit de répondre à cet e-mail.", "utilisez le lien"),
    ],
)
def test_the_default_french_template_says_reply_to_this_email_only_with_inbound_email(
    agent, db, settings, domain, said, not_said
):
    settings.NPSAPP_INBOUND_EMAIL_DOMAIN = domain
    ticket = case_for(first_name="Jeanne", email="jeanne@example.com", language="fr")
    body = selectors.case_conversation(ticket=ticket, user=agent)["reply_form"].initial["body"]
    assert said in body and not_said not in body and "{how_to_reply}" not in body


def test_close_the_loop_theme_select_asks_for_a_theme_in_words(client, manager, db):
    client.force_login(manager)
    html = client.get(LOOP, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<option value="" selected>Choisissez un thème</option>' in html
    assert "---------" not in html
