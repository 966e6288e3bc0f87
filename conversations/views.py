import hmac
import json
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from conversations import selectors, services
from conversations.forms import CustomerReplyForm, LoopForm, ReplyForm
from conversations.models import Message, MessageChannel
from followups.selectors import ticket_for_user
from npsapp import roles
from npsapp.roles import role_required
from surveys import ratelimit

# --- Staff: reply to the customer from a case ---------------------------------------------------


@role_required(roles.CAN_WORK_CASES)
@require_http_methods(["GET", "POST"])
def case_reply(request, public_id):
    """GET: the reply form (another template with ?template=). POST: send, then back to the case."""
    ticket = ticket_for_user(user=request.user, public_id=public_id)
    case_url = reverse("followups:ticket", args=[ticket.public_id])
    status = 200
    form = None
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                services.message_reply_send(
                    ticket=ticket,
                    actor=request.user,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your email to the customer is on its way."))
                return HttpResponseRedirect(case_url)
        status = 400
    conversation = selectors.case_conversation(
        ticket=ticket, user=request.user, template_id=request.GET.get("template"), form=form
    )
    context = {"ticket": ticket, "case_url": case_url, "conversation": conversation}
    return render(request, "conversations/reply.html", context, status=status)


# --- Customer: the personal reply page ---------------------------------------------------------

# Light limits: a person answering never hits them, a script posting in a loop does.
REPLY_POSTS_PER_HOUR_PER_LINK = 20
REPLY_POSTS_PER_HOUR_PER_ADDRESS = 60
REPLY_LIMIT_WINDOW_SECONDS = 3600


def _rate_limited(request, token: str) -> bool:
    """Counted like the survey pages' limits (surveys.ratelimit): a cache outage lets the customer through."""
    return not ratelimit.allow(
        scope="reply-link",
        identity=token,
        limit=REPLY_POSTS_PER_HOUR_PER_LINK,
        window_seconds=REPLY_LIMIT_WINDOW_SECONDS,
    ) or not ratelimit.allow(
        scope="reply-ip",
        identity=ratelimit.client_ip(request),
        limit=REPLY_POSTS_PER_HOUR_PER_ADDRESS,
        window_seconds=REPLY_LIMIT_WINDOW_SECONDS,
    )


@require_http_methods(["GET", "POST"])
def customer_reply(request, token):
    """The page behind a personal reply link: read staff's message, answer it. No login."""
    message = selectors.outbound_message_for_token(token)
    if message is None:
        return render(request, "conversations/reply_link_unknown.html", status=404)
    # The page speaks the language the email was written in.
    translation.activate(message.language or translation.get_language_from_request(request))
    request.LANGUAGE_CODE = translation.get_language()
    survey = message.ticket.survey
    base = {"message": message, "survey": survey}
    if selectors.reply_link_expired(message):
        return render(request, "conversations/reply_link_expired.html", base, status=410)
    status = 200
    form = CustomerReplyForm()
    if request.method == "POST":
        form = CustomerReplyForm(request.POST)
        if _rate_limited(request, token):
            form.is_valid()
            form.add_error(None, _("Too many messages were sent from this page. Please try again in an hour."))
            return render(request, "conversations/customer_reply.html", {**base, "form": form}, status=429)
        if form.is_valid():
            try:
                services.customer_reply_receive(
                    message=message, body=form.cleaned_data["body"], channel=MessageChannel.WEB
                )
            except services.ReplyLinkExpired:
                return render(request, "conversations/reply_link_expired.html", base, status=410)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return render(request, "conversations/customer_reply_sent.html", base)
        status = 400
    return render(request, "conversations/customer_reply.html", {**base, "form": form}, status=status)


# --- Mail gateway: replies by email ------------------------------------------------------------

INBOUND_SECRET_HEADER = "HTTP_X_NPSAPP_INBOUND_SECRET"


def _inbound_payload(request) -> dict:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}
    return request.POST.dict()


def _field(data: dict, *names: str) -> str:
    for name in names:
        value = data.get(name)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if value:
            return str(value)
    return ""


@csrf_exempt
@require_POST
def inbound_email(request):
    """A reply email POSTed by the mail gateway (JSON or form): to, from, subject, text."""
    expected = settings.NPSAPP_INBOUND_EMAIL_SECRET
    given = request.META.get(INBOUND_SECRET_HEADER, "")
    if not expected:
        return JsonResponse({"error": "inbound email is not configured"}, status=403)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return JsonResponse({"error": "bad secret"}, status=403)
    data = _inbound_payload(request)
    try:
        reply = services.inbound_email_receive(
            to=_field(data, "to", "recipient", "To"),
            sender=_field(data, "from", "sender", "From"),
            subject=_field(data, "subject", "Subject"),
            text=_field(data, "text", "body-plain", "body", "stripped-text"),
        )
    except Message.DoesNotExist:
        return JsonResponse({"error": "unknown reply address"}, status=404)
    except services.ReplyLinkExpired:
        return JsonResponse({"error": "reply address expired"}, status=410)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"message": reply.id, "case": str(reply.ticket.public_id)}, status=201)


# --- Managers: close the loop -------------------------------------------------------------------


@role_required(roles.CAN_SEE_DASHBOARD)
@require_http_methods(["GET", "POST"])
def close_the_loop(request):
    """Pick a theme and a period, write the email, preview, then send (a second confirm sends once)."""
    context = {"loop_messages": selectors.loop_messages_recent()}
    if request.method == "GET":
        form = LoopForm(initial=LoopForm.initial_period())
        return render(request, "conversations/close_the_loop.html", {**context, "form": form})
    form = LoopForm(request.POST)
    action = request.POST.get("action", "preview")
    if not form.is_valid():
        return render(request, "conversations/close_the_loop.html", {**context, "form": form}, status=400)
    data = form.cleaned_data
    if action == "send" and data.get("key"):
        try:
            loop = services.loop_message_send(
                key=data["key"],
                theme=data["theme"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                subject_en=data["subject_en"],
                body_en=data["body_en"],
                subject_fr=data["subject_fr"],
                body_fr=data["body_fr"],
                actor=request.user,
                send_again=data["send_again"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return render(request, "conversations/close_the_loop.html", {**context, "form": form}, status=400)
        messages.success(
            request,
            _("Close-the-loop email sent to %(count)s customers.") % {"count": loop.recipient_count},
        )
        return HttpResponseRedirect(reverse("conversations:close_the_loop"))
    preview = selectors.loop_preview(
        theme=data["theme"],
        period_start=data["period_start"],
        period_end=data["period_end"],
        send_again=data["send_again"],
    )
    sample = None
    if preview["first"]:
        customer = preview["first"][0]
        language = selectors.language_for(customer.language)
        texts = {"en": (data["subject_en"], data["body_en"]), "fr": (data["subject_fr"], data["body_fr"])}
        subject, body = services.loop_email_render(texts=texts, language=language, customer=customer)
        sample = {"customer": customer, "language": language, "subject": subject, "body": body}
    # A fresh key for this confirmation; the form fields stay as typed.
    confirm = LoopForm({**request.POST.dict(), "key": str(data.get("key") or uuid.uuid4())})
    confirm.is_valid()
    return render(
        request,
        "conversations/close_the_loop.html",
        {**context, "form": confirm, "preview": preview, "sample": sample},
    )
