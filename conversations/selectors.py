"""Reads: who a case's customer is by email, the conversation on a case, close-the-loop audiences."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, TextChoices
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from conversations.models import Delivery, Language, LoopMessage, LoopRecipient, Message, ReplyTemplate
from conversations.placeholders import render_placeholders
from crm.models import Customer
from followups.choices import TicketKind
from followups.models import Ticket
from followups.selectors import tickets_of_responses
from surveys import consent
from surveys.choices import ContactRefusal, Segment
from surveys.models import Response, Theme
from surveys.selectors import DETRACTOR_Q, PASSIVE_Q


@dataclass(frozen=True)
class Recipient:
    """Where a case's customer can be emailed; `email` empty with the reason why not."""

    email: str
    language: str
    first_name: str = ""
    last_name: str = ""
    reason: str = ""

    @property
    def can_email(self) -> bool:
        return bool(self.email)


def language_for(*codes: str) -> str:
    """The first of `codes` we write emails in (en/fr), else the site's default language."""
    for code in codes:
        short = (code or "").split("-")[0].lower()
        if short in Language.values:
            return short
    return settings.LANGUAGE_CODE


def ticket_recipient(ticket: Ticket) -> Recipient:
    """The customer's address for this case, or the reason nobody can be emailed."""
    response = ticket.response if ticket.response_id else None
    response_language = response.language if response else ""
    customer = ticket.customer
    if ticket.survey.is_anonymous:
        return Recipient("", settings.LANGUAGE_CODE, reason=_("This survey is anonymous: nobody can be emailed."))
    if customer is None:
        # A public-form answer may have left an address without being a known customer.
        if response is not None and response.contact_email:
            return Recipient(response.contact_email, language_for(response_language))
        return Recipient(
            "", language_for(response_language), reason=_("This answer is anonymous: there is no address to write to.")
        )
    language = language_for(customer.language, response_language)
    if customer.erased_at is not None:
        return Recipient("", language, reason=_("This customer's personal data was erased: nobody can be emailed."))
    email = customer.email or (response.contact_email if response is not None else "")
    if not email:
        return Recipient(
            "",
            language,
            customer.first_name,
            customer.last_name,
            reason=_("This customer has no email address. Log a phone call instead."),
        )
    return Recipient(email, language, customer.first_name, customer.last_name)


def ticket_segment(ticket: Ticket) -> str:
    if ticket.response_id:
        return ticket.response.segment
    return Segment.PASSIVE if ticket.kind == TicketKind.PASSIVE else Segment.DETRACTOR


def reply_templates_active() -> QuerySet[ReplyTemplate]:
    return ReplyTemplate.objects.filter(is_active=True).order_by("segment", "language", "name")


def reply_template_default(*, templates, segment: str, language: str) -> ReplyTemplate | None:
    """The default template of the segment and language, else any of them, else any in the language."""
    ranked = sorted(
        templates,
        key=lambda t: (
            t.segment != segment or t.language != language,
            not t.is_default,
            t.segment != segment,
            t.language != language,
            t.name,
        ),
    )
    return ranked[0] if ranked else None


def how_to_reply(language: str) -> str:
    """How the customer answers us: by replying to the email only when inbound email is set up
    (NPSAPP_INBOUND_EMAIL_DOMAIN gives the Reply-To address); otherwise the email comes from a
    no-reply address and its reply link is the way."""
    with translation.override(language):
        if settings.NPSAPP_INBOUND_EMAIL_DOMAIN:
            return _("You can simply reply to this email.")
        return _("To answer, use the link at the end of this email.")


def placeholder_values(*, ticket: Ticket, recipient: Recipient, agent) -> dict:
    response = ticket.response if ticket.response_id else None
    agent_name = ""
    if agent is not None:
        agent_name = agent.get_full_name() or agent.get_username()
    return {
        "first_name": recipient.first_name,
        "last_name": recipient.last_name,
        "score": response.score if response else "",
        "comment": response.comment.strip() if response else "",
        "brand": ticket.survey.brand.name,
        "agent_name": agent_name,
        "reference": ticket.reference,
        "how_to_reply": how_to_reply(recipient.language),
    }


def reply_template_render(*, template: ReplyTemplate, values: dict) -> tuple[str, str]:
    """(subject, body) of `template` for one case; the no-comment variant when they wrote nothing."""
    body = template.body
    if not values.get("comment") and template.body_without_comment.strip():
        body = template.body_without_comment
    return render_placeholders(template.subject, values), render_placeholders(body, values)


def ticket_messages(*, ticket: Ticket) -> QuerySet[Message]:
    return Message.objects.filter(ticket=ticket).select_related("author").order_by("created_at", "id")


def case_conversation(*, ticket: Ticket, user, template_id=None, form=None) -> dict:
    """Everything templates/conversations/_case_conversation.html needs for one case.

    `template_id` picks another template than the default; `form` is a bound form to show
    again with its errors and the agent's typed text.
    """
    from conversations.forms import ReplyForm

    recipient = ticket_recipient(ticket)
    values = placeholder_values(ticket=ticket, recipient=recipient, agent=user)
    templates = list(reply_templates_active())
    chosen = None
    if template_id not in (None, ""):
        chosen = next((t for t in templates if str(t.id) == str(template_id)), None)
    if chosen is None:
        chosen = reply_template_default(
            templates=templates, segment=ticket_segment(ticket), language=recipient.language
        )
    rendered = [(template, *reply_template_render(template=template, values=values)) for template in templates]
    if form is None:
        initial = {"template": chosen.id if chosen else None}
        # A resolved or closed case gets no ready-made apology (it invited sending it twice), unless
        # the agent picks a template on purpose.
        if chosen is not None and (ticket.is_open or template_id not in (None, "")):
            initial["subject"], initial["body"] = reply_template_render(template=chosen, values=values)
        form = ReplyForm(initial=initial)
    return {
        "messages": list(ticket_messages(ticket=ticket)),
        "reply_templates": rendered,
        "reply_template": chosen,
        "reply_form": form,
        "can_email": recipient.can_email,
        "cannot_email_reason": recipient.reason,
        "recipient_email": recipient.email,
        "recipient_language": recipient.language,
        "reply_url": reverse("conversations:case_reply", args=[ticket.public_id]),
    }


def outbound_message_for_token(token: str) -> Message | None:
    if not token:
        return None
    return (
        Message.objects.filter(reply_token=token)
        .select_related("ticket__survey__brand", "ticket__customer", "author")
        .first()
    )


def reply_link_expired(message: Message, now=None) -> bool:
    now = now or timezone.now()
    return message.created_at + timedelta(days=settings.NPSAPP_REPLY_LINK_DAYS) < now


# --- Close the loop -------------------------------------------------------------------------


def _period_bounds(period_start, period_end) -> tuple[datetime, datetime]:
    """The local days [start, end] as an aware half-open datetime range."""
    start = timezone.make_aware(datetime.combine(period_start, time.min))
    end = timezone.make_aware(datetime.combine(period_end + timedelta(days=1), time.min))
    return start, end


def loop_responses(*, theme: Theme, period_start, period_end) -> QuerySet[Response]:
    """Identified answers of the period tagged with `theme` (by staff on the case, or by a keyword rule)."""
    start, end = _period_bounds(period_start, period_end)
    return Response.objects.filter(
        theme_links__theme=theme,
        submitted_at__gte=start,
        submitted_at__lt=end,
        survey__is_anonymous=False,
        customer__isnull=False,
    )


class LoopInclusion(TextChoices):
    """Why a customer whose feedback had the theme gets the close-the-loop email (first that applies)."""

    DETRACTOR = "detractor", gettext_lazy("Detractor answer")
    PASSIVE = "passive", gettext_lazy("Passive answer")
    CASE = "case", gettext_lazy("A case about it")


class LoopExclusion(TextChoices):
    """Why a customer whose feedback had the theme does not get it (consent refusals come between)."""

    PROMOTER_ONLY = "promoter_only", gettext_lazy("Promoter only: mentioned it without complaining")
    ALREADY_TOLD = "already_told", gettext_lazy("Already told about this theme")


@dataclass
class LoopAudience:
    """Who a close-the-loop mailing goes to, and why each customer who mentioned the theme is in or out."""

    recipient_ids: list[int]
    included: list[tuple[str, str, int]]  # (code, label, count) per reason for being in
    excluded: list[tuple[str, str, int]]  # (code, label, count) per reason for being out
    already_told: int  # customers told before about this theme (in or out, per send_again)

    @property
    def count(self) -> int:
        return len(self.recipient_ids)


def _tally(counts: dict[str, int], choices) -> list[tuple[str, str, int]]:
    return [(code, str(label), counts[code]) for code, label in choices if counts.get(code)]


def loop_audience(*, theme: Theme, period_start, period_end, send_again: bool = False) -> LoopAudience:
    """The customers to tell that `theme` was fixed, with the count per reason in and out. One query.

    In: customers whose detractor or passive answer of the period carries the theme, or whose
    case (on such an answer) does. Out: promoters who only mentioned it, customers the
    consent gate refuses (erased, unsubscribed, no address, address refused for good; not
    fatigue: this is not a survey), and, unless `send_again`, customers already told about
    this theme by an earlier mailing that did not fail.
    """
    responses = loop_responses(theme=theme, period_start=period_start, period_end=period_end)
    mine = responses.filter(customer=OuterRef("pk"))
    told = LoopRecipient.objects.filter(customer=OuterRef("pk"), loop_message__theme=theme).exclude(
        delivery_status=Delivery.FAILED
    )
    customers = consent.with_refusal(
        Customer.objects.filter(id__in=responses.values("customer_id")), survey=None, fatigue=False
    ).annotate(
        has_detractor=Exists(mine.filter(DETRACTOR_Q)),
        has_passive=Exists(mine.filter(PASSIVE_Q)),
        has_case=Exists(Ticket.objects.filter(response__customer=OuterRef("pk"), response__in=responses.values("id"))),
        was_told=Exists(told),
    )
    rows = customers.order_by("last_name", "first_name", "id").values_list(
        "id", "contact_refusal", "has_detractor", "has_passive", "has_case", "was_told"
    )
    recipient_ids, included, excluded, already_told = [], {}, {}, 0
    for customer_id, refusal, detractor, passive, case, was_told in rows:
        already_told += bool(was_told)
        if detractor:
            why = LoopInclusion.DETRACTOR
        elif passive:
            why = LoopInclusion.PASSIVE
        elif case:
            why = LoopInclusion.CASE
        else:
            excluded[LoopExclusion.PROMOTER_ONLY] = excluded.get(LoopExclusion.PROMOTER_ONLY, 0) + 1
            continue
        out = refusal or (LoopExclusion.ALREADY_TOLD if was_told and not send_again else "")
        if out:
            excluded[out] = excluded.get(out, 0) + 1
            continue
        included[why] = included.get(why, 0) + 1
        recipient_ids.append(customer_id)
    exclusion_choices = [
        (LoopExclusion.PROMOTER_ONLY, LoopExclusion.PROMOTER_ONLY.label),
        *[(code, label) for code, label in ContactRefusal.choices if code != ContactRefusal.RECENTLY_INVITED],
        (LoopExclusion.ALREADY_TOLD, LoopExclusion.ALREADY_TOLD.label),
    ]
    return LoopAudience(
        recipient_ids=recipient_ids,
        included=_tally(included, LoopInclusion.choices),
        excluded=_tally(excluded, exclusion_choices),
        already_told=already_told,
    )


def loop_customers(*, audience: LoopAudience) -> QuerySet[Customer]:
    """The recipients of `audience` as customers, in name order."""
    return Customer.objects.filter(id__in=audience.recipient_ids).order_by("last_name", "first_name", "id")


def loop_tickets(*, theme: Theme, period_start, period_end, customer_ids) -> QuerySet[Ticket]:
    """The cases opened for those answers: each one records the mailing."""
    responses = loop_responses(theme=theme, period_start=period_start, period_end=period_end)
    return tickets_of_responses(responses).filter(customer_id__in=customer_ids).order_by("customer_id", "-opened_at")


def loop_preview(*, theme: Theme, period_start, period_end, send_again: bool = False, limit: int = 50) -> dict:
    """What the preview shows: the count, the first recipients, the reasons in and out. Three queries."""
    audience = loop_audience(theme=theme, period_start=period_start, period_end=period_end, send_again=send_again)
    first = list(loop_customers(audience=audience)[:limit]) if audience.recipient_ids else []
    return {
        "count": audience.count,
        "first": first,
        "included": audience.included,
        "excluded": audience.excluded,
        "already_told": audience.already_told,
        "send_again": send_again,
    }


def loop_messages_recent(limit: int = 20) -> QuerySet[LoopMessage]:
    return LoopMessage.objects.select_related("theme", "sent_by").order_by("-sent_at")[:limit]
