import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from surveys import services
from surveys.choices import Channel
from surveys.invitation_email import invitation_email_send
from surveys.models import Invitation, Response
from tests.pages import thanked
from tests.surveys.factories import PublicSurveyFactory

STATIC_DIR = Path(settings.BASE_DIR) / "static"
PAGE_BUDGET_BYTES = 60 * 1024


@pytest.fixture(autouse=True)
def _empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _url(invitation, suffix=""):
    return reverse("surveys:respond", args=[invitation.token]) + suffix


def _thanks(invitation):
    return reverse("surveys:thanks", args=[invitation.token])


def _public(survey):
    return reverse("surveys:public_feedback", args=[survey.public_id])


# --- Page weight, no JavaScript needed, CSP-clean -----------------------------------------------------


def _page_weight(client, html: str) -> int:
    total = len(html.encode())
    assets = re.findall(r'<(?:link[^>]+href|script[^>]+src)="([^"]+)"', html)
    for asset in assets:
        path = asset.split("?")[0]
        if path.startswith(settings.STATIC_URL):
            total += (STATIC_DIR / path.removeprefix(settings.STATIC_URL)).stat().st_size
        else:
            total += len(client.get(asset).content)
    return total


def test_the_survey_page_with_everything_it_loads_weighs_under_60_kb(client, invitation):
    survey = invitation.survey
    survey.criteria_question = "What mattered most?"
    survey.criteria_options = "Delivery\nProduct\nPrice\nAfter-sales service\nWebsite\nStore"
    survey.csat_question = "How satisfied are you with your order?"
    survey.save()
    html = client.get(_url(invitation)).content.decode()
    assert "bootstrap" not in html
    assert "survey.css" in html and "survey.js" in html
    assert _page_weight(client, html) < PAGE_BUDGET_BYTES


def test_the_public_page_weighs_under_60_kb(client, db):
    html = client.get(_public(PublicSurveyFactory())).content.decode()
    assert _page_weight(client, html) < PAGE_BUDGET_BYTES


def test_no_inline_script_or_style_on_customer_pages(client, invitation):
    pages = [client.get(_url(invitation)).content.decode(), client.get(_public(PublicSurveyFactory())).content.decode()]
    client.post(_url(invitation), {"score": "2", "comment": "Late"})
    pages.append(client.get(_thanks(invitation)).content.decode())
    for html in pages:
        assert " style=" not in html
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)


def test_the_answer_works_with_a_plain_html_form(client, invitation):
    """No JavaScript: every field is a native control inside the one form, sent by its submit button."""
    html = client.get(_url(invitation)).content.decode()
    form = html[html.index('<form method="post" id="survey-form"') : html.index("</form>")]
    assert form.count('type="radio" name="score"') == 11
    assert '<textarea class="text-input" name="comment"' in form
    assert '<button type="submit" class="button public-submit">' in form


# --- Accessibility ----------------------------------------------------------------------------------------


def test_the_scale_is_a_labelled_radio_group(client, invitation):
    html = client.get(_url(invitation)).content.decode()
    fieldset = html[html.index('<fieldset class="nps-scale"') : html.index("</fieldset>")]
    assert "<legend>How likely are you to recommend Maison Test to a friend or colleague?</legend>" in fieldset
    assert 'aria-describedby="score-ends"' in fieldset
    for score in range(11):
        assert f'id="score-{score}" value="{score}"' in fieldset
        assert f'<label class="nps-tile__label" for="score-{score}">{score}</label>' in fieldset
    assert "0 = not at all likely" in fieldset and "10 = extremely likely" in fieldset


def test_errors_are_announced_next_to_their_field(client, invitation):
    html = client.post(_url(invitation), {"comment": "x" * 5001}).content.decode()
    assert 'aria-describedby="score-ends score-error"' in html
    assert '<p class="field-error" id="score-error" role="alert">' in html
    assert 'aria-describedby="comment-hint comment-error"' in html
    assert '<p class="field-error" id="comment-error" role="alert">' in html
    assert "<title>Error:" in html


# --- The follow-up question by segment -----------------------------------------------------------------------


def test_the_open_question_is_generic_without_javascript_and_by_segment_with_it(client, invitation):
    survey = invitation.survey
    survey.prompt_passive = "What one thing would make it a 9?"
    survey.save()
    html = client.get(_url(invitation)).content.decode()
    label = re.search(r'<label for="comment" id="comment-label"[^>]*>([^<]*)</label>', html)
    assert label.group(1) == "What is the main reason for your score?"
    assert 'data-prompt-detractor="What could we improve?"' in label.group(0)
    assert 'data-prompt-passive="What one thing would make it a 9?"' in label.group(0)
    assert 'data-prompt-promoter="Why this score?"' in label.group(0)


# --- Criteria and satisfaction on the page --------------------------------------------------------------------


@pytest.fixture
def criteria_survey(survey):
    survey.criteria_question = "What mattered most?"
    survey.criteria_options = "Delivery\nProduct\nPrice"
    survey.criteria_multiple = True
    survey.csat_question = "How satisfied are you with your order?"
    survey.save()
    return survey


def test_criteria_and_satisfaction_are_fieldsets_and_are_stored(client, invitation, criteria_survey):
    html = client.get(_url(invitation)).content.decode()
    assert "<legend>What mattered most?</legend>" in html
    assert html.count('type="checkbox" name="criteria"') == 3
    assert "<legend>How satisfied are you with your order?</legend>" in html
    assert html.count('type="radio" name="csat"') == 5
    reply = client.post(_url(invitation), {"score": "6", "criteria": ["Price", "Delivery"], "csat": "2"})
    assert thanked(reply)
    response = Response.objects.get()
    assert (response.criteria, response.csat) == (["Delivery", "Price"], 2)


def test_single_choice_criteria_are_radios(client, invitation, criteria_survey):
    criteria_survey.criteria_multiple = False
    criteria_survey.save()
    html = client.get(_url(invitation)).content.decode()
    assert html.count('type="radio" name="criteria"') == 3


def test_invalid_criteria_are_explained_and_everything_typed_kept(client, invitation, criteria_survey):
    reply = client.post(
        _url(invitation), {"score": "4", "comment": "Mon texte", "criteria": ["Delivery", "Hacked"], "csat": "9"}
    )
    assert reply.status_code == 400
    html = reply.content.decode()
    assert '<p class="field-error" id="criteria-error" role="alert">' in html
    assert '<p class="field-error" id="csat-error" role="alert">' in html
    assert ">Mon texte</textarea>" in html
    assert re.search(r'value="4"[^>]*checked', html)
    assert re.search(r'value="Delivery"[^>]*checked', html)
    assert not Response.objects.exists()


# --- Language --------------------------------------------------------------------------------------------------


def test_the_invitation_language_wins_over_the_customers(client, invitation):
    invitation.customer.language = "en"
    invitation.customer.save()
    Invitation.objects.filter(pk=invitation.pk).update(language="fr")
    html = client.get(_url(invitation), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="fr"' in html


def test_the_language_switch_is_visible_and_a_link_pick_holds(client, invitation):
    html = client.get(_url(invitation, "?score=4")).content.decode()
    assert '<nav class="language-switch"' in html
    assert 'name="switch_lang"' in html and 'value="fr"' in html
    # Either way, the customer's pick holds.
    assert 'lang="fr"' in client.get(_url(invitation, "?lang=fr&score=4")).content.decode()


def test_switching_language_after_typing_keeps_the_text_and_records_nothing(client, invitation):
    typed = "Le colis est arrivé <abîmé>"
    reply = client.post(_url(invitation), {"score": "3", "comment": typed, "switch_lang": "fr"})
    assert reply.status_code == 200
    html = reply.content.decode()
    assert '<html lang="fr"' in html
    assert "Le colis est arrivé &lt;abîmé&gt;</textarea>" in html
    assert re.search(r'value="3"[^>]*checked', html)
    assert "field-error" not in html
    assert not Response.objects.exists()


def test_the_answer_keeps_the_language_it_was_given_in(client, invitation):
    page = client.get(_url(invitation, "?lang=fr")).content.decode()
    assert '<input type="hidden" name="lang" value="fr">' in page
    client.post(_url(invitation), {"score": "8", "lang": "fr"})
    assert Response.objects.get().language == "fr"
    assert 'lang="fr"' in client.get(_thanks(invitation)).content.decode()


# --- Thank-you page by segment ------------------------------------------------------------------------------------


def test_promoters_are_invited_to_review_and_refer(client, invitation):
    survey = invitation.survey
    survey.review_url = "https://reviews.example.com/maison-test"
    survey.referral_url = "https://maison.example.com/refer"
    survey.thanks_promoter = "Merci <3, you made our day."
    survey.save()
    client.post(_url(invitation), {"score": "10"})
    html = client.get(_thanks(invitation)).content.decode()
    assert "Merci &lt;3, you made our day." in html
    assert 'href="https://reviews.example.com/maison-test"' in html
    assert 'href="https://maison.example.com/refer"' in html


def test_no_review_links_when_none_are_set_or_for_others(client, invitation):
    client.post(_url(invitation), {"score": "10"})
    assert "Leave a public review" not in client.get(_thanks(invitation)).content.decode()


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        ("elapsed", "within 48 hours, around the clock."),
        ("business_hours", "within 48 business hours, Mon–Fri 09:00–12:00, 14:00–18:00 Europe/Paris."),
        ("business_days", "within 2 business days, Mon–Fri 09:00–12:00, 14:00–18:00 Europe/Paris."),
    ],
)
def test_detractors_are_told_when_someone_will_contact_them(client, invitation, clock, expected):
    from tests.followups.factories import office_calendar

    invitation.survey.sla_clock = clock
    invitation.survey.business_calendar = office_calendar() if clock != "elapsed" else None
    invitation.survey.save()
    client.post(_url(invitation), {"score": "2"})
    assert expected in client.get(_thanks(invitation)).content.decode()


def test_anonymous_detractors_are_promised_no_contact(client, invitation):
    invitation.survey.is_anonymous = True
    invitation.survey.save()
    client.post(_url(invitation), {"score": "2"})
    html = client.get(_thanks(invitation)).content.decode()
    assert "will contact you" not in html
    assert "goes straight to the team" in html


# --- Corrections from the same link ----------------------------------------------------------------------------


def test_change_my_answer_for_a_day_then_already_answered(client, invitation):
    with time_machine.travel("2026-05-04 10:00Z", tick=False):
        client.post(_url(invitation), {"score": "2", "comment": "Late"})
        thanks = client.get(_thanks(invitation)).content.decode()
        assert "Change my answer" in thanks and f'href="{_url(invitation)}"' in thanks
        page = client.get(_url(invitation)).content.decode()
        # The same link shows the answer to change.
        assert re.search(r'value="2"[^>]*checked', page)
        assert ">Late</textarea>" in page
        assert "Save my new answer" in page
    with time_machine.travel("2026-05-04 20:00Z", tick=False):
        assert thanked(client.post(_url(invitation), {"score": "7", "comment": "They called me"}))
    response = Response.objects.get()
    assert (response.score, response.comment) == (7, "They called me")
    assert response.corrected_at is not None
    with time_machine.travel("2026-05-05 10:01Z", tick=False):
        assert "Change my answer" not in client.get(_thanks(invitation)).content.decode()
        page = client.get(_url(invitation))
        assert "already answered" in page.content.decode()
        refused = client.post(_url(invitation), {"score": "0"})
        assert "already answered" in refused.content.decode()
    assert Response.objects.get().score == 7


# --- Bad links --------------------------------------------------------------------------------------------------


def test_truncated_and_random_tokens_get_the_very_same_404(client, invitation):
    truncated = client.get(reverse("surveys:respond", args=[invitation.token[:-3]]))
    random = client.get(reverse("surveys:respond", args=["x" * (len(invitation.token) - 3)]))
    assert truncated.status_code == random.status_code == 404
    assert truncated.content == random.content
    posted = client.post(reverse("surveys:respond", args=[invitation.token[:-3]]), {"score": "1"})
    assert posted.status_code == 404
    assert posted.content == random.content
    assert not Response.objects.exists()


def test_an_expired_link_explains_and_names_the_brand(client, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    page = client.get(_url(invitation))
    assert page.status_code == 410
    html = page.content.decode()
    assert "Survey links from Maison Test stay open for a limited time" in html


# --- Rate limits --------------------------------------------------------------------------------------------------


@pytest.fixture
def tight_limits(settings):
    settings.NPSAPP_RATE_LINK_POSTS_PER_MINUTE = 2
    settings.NPSAPP_RATE_PUBLIC_POSTS_PER_MINUTE = 2
    return settings


def test_a_burst_of_posts_on_one_link_is_slowed_down_kindly(client, invitation, tight_limits):
    with time_machine.travel("2026-05-04 10:00:05Z", tick=False):
        assert client.post(_url(invitation), {"score": "x"}).status_code == 400
        assert client.post(_url(invitation), {"score": "y"}).status_code == 400
        blocked = client.post(_url(invitation), {"score": "z", "comment": "Third try"})
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "60"
    html = blocked.content.decode()
    assert "Too many attempts" in html and "wait a minute" in html
    assert ">Third try</textarea>" in html
    assert not Response.objects.exists()
    # Another link is not affected; the same link works again the next minute.
    invitation.survey.contact_fatigue_days = 0  # a second link for the same customer, at once
    invitation.survey.save(update_fields=["contact_fatigue_days"])
    other = services.invitation_create(survey=invitation.survey, customer=invitation.customer)
    with time_machine.travel("2026-05-04 10:00:06Z", tick=False):
        assert thanked(client.post(_url(other), {"score": "4"}))
    with time_machine.travel("2026-05-04 10:01:01Z", tick=False):
        assert client.post(_url(invitation), {"score": "x"}).status_code == 400


def test_a_first_valid_answer_is_never_refused_but_corrections_are_counted(client, invitation, tight_limits):
    """The database takes one answer per link, so the first one cannot be repeated: it is not counted."""
    with time_machine.travel("2026-05-04 10:00:05Z", tick=False):
        for _attempt in range(2):
            assert client.post(_url(invitation), {"score": "x"}).status_code == 400
        assert thanked(client.post(_url(invitation), {"score": "4", "comment": "Finally"}))
        assert Response.objects.get().comment == "Finally"
        # Changing it again within the minute is a correction: counted, and over the limit.
        blocked = client.post(_url(invitation), {"score": "9", "comment": "Changed my mind"})
    assert blocked.status_code == 429
    assert Response.objects.get().score == 4


def test_the_429_page_is_translated(client, invitation, tight_limits):
    Invitation.objects.filter(pk=invitation.pk).update(language="fr")
    with time_machine.travel("2026-05-04 10:00:05Z", tick=False):
        for _attempt in range(2):
            client.post(_url(invitation), {"score": "x"})
        blocked = client.post(_url(invitation), {"score": "x"})
    assert blocked.status_code == 429
    assert '<html lang="fr"' in blocked.content.decode()


def test_the_rate_limit_lets_answers_through_when_the_cache_is_down(client, invitation, tight_limits, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", broken)
    for _attempt in range(3):
        client.post(_url(invitation), {"score": "x"})
    assert thanked(client.post(_url(invitation), {"score": "5"}))


# --- Public feedback page -----------------------------------------------------------------------------------------


def test_public_page_exists_only_when_enabled(client, db):
    assert client.get(_public(PublicSurveyFactory(public_form_enabled=False))).status_code == 404
    assert client.get(_public(PublicSurveyFactory(is_active=False))).status_code == 404
    assert client.get("/f/not-a-uuid/").status_code == 404
    assert client.get(_public(PublicSurveyFactory())).status_code == 200


def test_a_public_answer_is_stored_with_its_email_and_thanked_by_segment(client, db):
    survey = PublicSurveyFactory(first_contact_hours=24)
    reply = client.post(
        _public(survey), {"score": "2", "comment": "Rude staff", "email": "jo@example.com", "website": ""}
    )
    assert reply.status_code == 302
    response = Response.objects.get()
    assert (response.channel, response.contact_email, response.customer) == (
        Channel.PUBLIC_FORM,
        "jo@example.com",
        None,
    )
    html = client.get(reply["Location"]).content.decode()
    assert "Thank you for telling us" in html and "within 24 hours" in html
    assert "Change my answer" not in html


def test_a_public_detractor_without_email_is_promised_no_call_back(client, db):
    reply = client.post(_public(PublicSurveyFactory()), {"score": "2"})
    html = client.get(reply["Location"]).content.decode()
    assert "Thank you for telling us" in html and "will contact you" not in html


def test_a_tampered_public_thanks_address_gets_the_generic_thanks(client, db):
    survey = PublicSurveyFactory()
    page = client.get(reverse("surveys:public_thanks", args=[survey.public_id]) + "?r=forged")
    assert page.status_code == 200
    assert "Thank you for your feedback" in page.content.decode()


def test_a_bot_filling_the_trap_gets_the_normal_thanks_and_nothing_is_stored(client, db):
    survey = PublicSurveyFactory()
    human = client.post(_public(survey), {"score": "9", "comment": "Nice"})
    bot = client.post(_public(survey), {"score": "9", "comment": "Buy pills", "website": "http://spam.example"})
    assert bot.status_code == human.status_code == 302
    assert Response.objects.count() == 1
    assert client.get(bot["Location"]).content == client.get(human["Location"]).content


def test_public_page_errors_keep_what_was_typed(client, db):
    reply = client.post(_public(PublicSurveyFactory()), {"score": "", "comment": "Mon avis", "email": "nope"})
    assert reply.status_code == 400
    html = reply.content.decode()
    assert ">Mon avis</textarea>" in html
    assert 'value="nope"' in html
    assert '<p class="field-error" id="email-error" role="alert">' in html


def test_public_page_is_limited_per_address(client, db, tight_limits):
    survey = PublicSurveyFactory()
    with time_machine.travel("2026-05-04 10:00:05Z", tick=False):
        for _attempt in range(2):
            assert client.post(_public(survey), {"score": "5"}, REMOTE_ADDR="203.0.113.7").status_code == 302
        blocked = client.post(_public(survey), {"score": "5", "comment": "Kept"}, REMOTE_ADDR="203.0.113.7")
        assert blocked.status_code == 429
        assert ">Kept</textarea>" in blocked.content.decode()
        assert client.post(_public(survey), {"score": "5"}, REMOTE_ADDR="198.51.100.1").status_code == 302
    assert Response.objects.count() == 3


def test_behind_a_proxy_the_client_address_comes_from_its_header(client, db, tight_limits):
    tight_limits.NPSAPP_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    survey = PublicSurveyFactory()
    with time_machine.travel("2026-05-04 10:00:05Z", tick=False):
        for address in ("203.0.113.7", "203.0.113.8", "203.0.113.9"):
            reply = client.post(_public(survey), {"score": "5"}, HTTP_X_FORWARDED_FOR=f"10.0.0.1, {address}")
            assert reply.status_code == 302


def test_anonymous_public_page_asks_no_email(client, db):
    html = client.get(_public(PublicSurveyFactory(is_anonymous=True))).content.decode()
    assert 'name="email"' not in html
    assert "Your answer is anonymous." in html


# --- Brand colours ---------------------------------------------------------------------------------------------------


def test_the_brand_stylesheet_gives_a_readable_text_colour_and_is_cached(client, invitation):
    brand = invitation.survey.brand
    brand.colour = "#FFD500"
    brand.save()
    html = client.get(_url(invitation)).content.decode()
    href = re.search(r'href="(/s/brand/\d+\.css\?v=[^"]+)"', html).group(1)
    assert href.endswith("?v=ffd500")
    css = client.get(href)
    assert css["Content-Type"].startswith("text/css")
    assert "max-age=86400" in css["Cache-Control"] and "public" in css["Cache-Control"]
    # A pale brand: black text on it, and the chosen score tile edged in ink to stand out on white.
    assert css.content.decode() == ":root{--brand:#ffd500;--brand-ink:#000000;--brand-edge:#212529;}\n"


def test_a_new_brand_colour_or_embedding_shows_on_the_next_page_though_the_head_is_kept_rendered(client, invitation):
    """The page's head is kept rendered per survey version (the "fragments" cache): saving the
    brand or the survey moves the version, so the next page has the new one."""

    def head():
        html = client.get(_url(invitation)).content.decode()
        colour = re.search(r'href="/s/brand/\d+\.css\?v=([^"]+)"', html).group(1)
        return colour, "embed-frame.js" in html

    assert head() == ("0d6efd", False)
    brand = invitation.survey.brand
    brand.colour = "#FFD500"
    brand.save()
    assert head() == ("ffd500", False)
    survey = type(invitation.survey).objects.get(pk=invitation.survey_id)
    survey.embed_origins = "https://shop.example.com"
    survey.save()
    assert head() == ("ffd500", True)


def test_a_stored_colour_that_is_not_hex_never_reaches_the_css(client, invitation):
    brand = invitation.survey.brand
    type(brand).objects.filter(pk=brand.pk).update(colour="red}*")
    css = client.get(reverse("surveys:brand_css", args=[brand.pk])).content.decode()
    assert css == ":root{--brand:#0d6efd;--brand-ink:#000000;--brand-edge:#0d6efd;}\n"


def test_a_stored_colour_that_is_not_hex_never_reaches_the_email(invitation):
    brand = invitation.survey.brand
    # Seven characters, as the column allows, but CSS rather than a colour.
    type(brand).objects.filter(pk=brand.pk).update(colour="red;x:y")
    invitation.survey.brand.refresh_from_db()
    invitation_email_send(invitation=invitation)
    html = mail.outbox[0].alternatives[0][0]
    assert "red;x:y" not in html
    assert "border-top:6px solid #0d6efd" in html


def test_after_erasure_the_link_offers_no_change(client, invitation):
    client.post(_url(invitation), {"score": "2", "comment": "Late"})
    type(invitation.customer).objects.filter(pk=invitation.customer_id).update(erased_at=timezone.now())
    assert "already answered" in client.get(_url(invitation)).content.decode()
    client.post(_url(invitation), {"score": "9", "comment": "New words"})
    assert Response.objects.get().comment == "Late"


def test_the_chosen_score_tile_wears_the_brand_colour():
    """The survey stylesheet fills the checked tile with the brand's colour, not the app's blue."""
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "survey.css").read_text()
    checked = css[css.index(".nps-tile__input:checked + .nps-tile__label {") :]
    rule = checked[: checked.index("}")]
    assert "background: var(--brand)" in rule and "color: var(--brand-ink)" in rule
    assert "border-color: var(--brand-edge)" in rule
