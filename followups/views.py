from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from crm.selectors import customer_crm_summary
from followups import selectors, services
from followups.forms import ContactForm, NoteForm, ResolveForm, ThemeForm
from npsapp import roles
from npsapp.roles import role_required

PAGE_SIZE = 50


@role_required(roles.CAN_WORK_CASES)
@require_http_methods(["GET"])
def inbox(request):
    view = request.GET.get("view", "open")
    if view not in selectors.INBOX_VIEWS:
        view = "open"
    now = timezone.now()
    tickets = selectors.inbox_tickets(user=request.user, view=view, now=now)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "view": view, "views": selectors.INBOX_VIEWS, "now": now}
    return render(request, "followups/inbox.html", context)


# Each action: the form that validates it (its fields are the service's keywords) and the service.
ACTIONS = {
    "claim": (None, services.ticket_claim),
    "note": (NoteForm, services.ticket_add_note),
    "contact": (ContactForm, services.ticket_mark_contacted),
    "resolve": (ResolveForm, services.ticket_resolve),
    "tag": (ThemeForm, services.ticket_tag_theme),
    "untag": (ThemeForm, services.ticket_untag_theme),
}
DONE_MESSAGES = {
    "claim": gettext_lazy("You now own this case."),
    "note": gettext_lazy("Note added."),
    "contact": gettext_lazy("Contact recorded."),
    "resolve": gettext_lazy("Case resolved."),
    "tag": gettext_lazy("Theme added."),
    "untag": gettext_lazy("Theme removed."),
}


@role_required(roles.CAN_WORK_CASES)
@require_http_methods(["GET", "POST"])
def ticket_detail(request, public_id):
    """One case: the answer, the CRM panel, the timeline, and the actions on it."""
    ticket = selectors.ticket_for_user(user=request.user, public_id=public_id)
    forms = {"note": NoteForm(), "contact": ContactForm(), "resolve": ResolveForm(), "tag": ThemeForm()}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            messages.error(request, _("Unknown action."))
            return HttpResponseRedirect(request.path)
        form_class, service = ACTIONS[action]
        form = form_class(request.POST) if form_class else None
        if form is None or form.is_valid():
            try:
                service(ticket=ticket, actor=request.user, **(form.cleaned_data if form else {}))
            except ValidationError as exc:
                if form is None:
                    messages.error(request, " ".join(exc.messages))
                    return HttpResponseRedirect(request.path)
                form.add_error(None, exc)
            else:
                messages.success(request, str(DONE_MESSAGES[action]))
                return HttpResponseRedirect(request.path)
        forms[action] = form
        status = 400
    theme_links = selectors.ticket_theme_links(ticket=ticket)
    # Offer only the themes the answer does not have yet.
    tag_field = forms["tag"].fields["theme"]
    tag_field.queryset = tag_field.queryset.exclude(id__in=[link.theme_id for link in theme_links])
    context = {
        "ticket": ticket,
        "response": ticket.response,
        # An outreach case has no response (response_id None): every earlier answer is shown.
        "crm": customer_crm_summary(
            customer=ticket.customer, exclude_response_id=ticket.response_id, exclude_ticket_id=ticket.id
        )
        if ticket.customer
        else None,
        "events": ticket.events.select_related("actor").all(),
        "theme_links": theme_links,
        "forms": forms,
        "now": timezone.now(),
        "inbox_url": reverse("followups:inbox"),
    }
    return render(request, "followups/ticket_detail.html", context, status=status)
