from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from followups import panels, selectors, services
from followups.filters import InboxFilter
from followups.forms import AssignForm, BulkForm, ClaimForm, NoteForm, PhoneCallForm, StatusForm, ThemeForm
from npsapp import roles
from npsapp.roles import role_required

PAGE_SIZE = 25  # an agent works from the top by deadline; 25 rows render in a few ms
# Field changes the timeline leaves out: the contact, waiting and resolution events say them
# already, and the frozen metrics are for the reports.
TIMELINE_HIDDEN_FIELDS = (
    "first_contacted_at",
    "contact_channel",
    "resolved_at",
    "closed_at",
    "clock_paused_at",
    "minutes_to_first_contact",
    "first_contact_met",
    "minutes_to_resolution",
    "customer_reply_unread_at",
)


@role_required(roles.CAN_WORK_CASES)
@require_http_methods(["GET", "POST"])
def inbox(request):
    """The cases the user may work: filters, search and sort in the URL; bulk changes by POST."""
    if request.method == "POST":
        return _inbox_bulk(request)
    now = timezone.now()
    filterset = InboxFilter(
        request.GET, queryset=selectors.inbox_tickets(user=request.user), user=request.user, now=now
    )
    tickets = filterset.qs
    if filterset.form.errors:
        messages.warning(
            request,
            _("Some filters were not understood and are ignored: %(filters)s.")
            % {"filters": ", ".join(str(label) for label in filterset.invalid_fields)},
        )
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filterset": filterset,
        "form": filterset.form,
        "query": query.urlencode(),
        "counts": selectors.inbox_counts(user=request.user, now=now),
        "bulk_form": BulkForm(user=request.user),
        "now": now,
        "due_soon_before": now + selectors.DUE_SOON,
    }
    return render(request, "followups/inbox.html", context)


def _inbox_bulk(request):
    back = request.POST.get("next", "")
    if not back.startswith("?") or not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = reverse("followups:inbox") + back
    if not request.POST.getlist("tickets"):
        messages.warning(request, _("No case was selected: nothing was changed. Tick the cases to change first."))
        return HttpResponseRedirect(back)
    form = BulkForm(request.POST, user=request.user)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, _("Nothing was changed: %(errors)s") % {"errors": " ".join(errors)})
        return HttpResponseRedirect(back)
    try:
        changed = services.tickets_bulk_change(
            tickets=list(form.cleaned_data["tickets"]), actor=request.user, **form.service_kwargs()
        )
    except ValidationError as exc:
        messages.error(request, _("Nothing was changed: %(errors)s") % {"errors": " ".join(exc.messages)})
    else:
        messages.success(request, ngettext("%(n)s case changed.", "%(n)s cases changed.", changed) % {"n": changed})
    return HttpResponseRedirect(back)


# Each action on a case: the form that validates it and the service it calls.
ACTIONS = {
    "claim": (ClaimForm, services.ticket_claim),
    "assign": (AssignForm, services.ticket_assign),
    "note": (NoteForm, services.ticket_add_note),
    "phone": (PhoneCallForm, services.ticket_mark_contacted),
    "status": (StatusForm, services.ticket_set_status),
    "tag": (ThemeForm, services.ticket_tag_theme),
    "untag": (ThemeForm, services.ticket_untag_theme),
}
DONE_MESSAGES = {
    "claim": gettext_lazy("You now own this case."),
    "assign": gettext_lazy("Assignee changed."),
    "note": gettext_lazy("Internal note added."),
    "phone": gettext_lazy("Phone call logged."),
    "status": gettext_lazy("Status changed."),
    "tag": gettext_lazy("Theme added."),
    "untag": gettext_lazy("Theme removed."),
}
# Who may do what, beyond working cases at all.
MANAGER_ACTIONS = {"assign"}


def _forms(ticket, user, bound=None) -> dict:
    forms = {key: form_class(ticket=ticket, user=user) for key, (form_class, _service) in ACTIONS.items()}
    del forms["untag"]  # one button per theme, no form of its own
    if bound is not None:
        forms[bound[0]] = bound[1]
    return forms


def _add_service_error(form, exc: ValidationError) -> None:
    """Show a service's refusal beside the field it names, or above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@role_required(roles.CAN_WORK_CASES)
@require_http_methods(["GET", "POST"])
def ticket_detail(request, public_id):
    """One case: the answer, its history and the actions on it, and the panels other apps register
    (followups.panels): the emails with the customer, the customer's history."""
    ticket = selectors.ticket_for_user(user=request.user, public_id=public_id)
    if request.method == "GET":
        # Seen by someone who may work the case (ticket_for_user checked): the reply is read.
        services.ticket_mark_reply_read(ticket=ticket, actor=request.user)
    bound = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS or (action in MANAGER_ACTIONS and not selectors.sees_every_team(request.user)):
            messages.error(request, _("Unknown action."))
            return HttpResponseRedirect(request.path)
        form_class, service = ACTIONS[action]
        form = form_class(request.POST, ticket=ticket, user=request.user)
        bound = (action, form)
        status = 400
        if form.is_valid():
            try:
                service(ticket=ticket, actor=request.user, **form.service_kwargs())
            except services.StaleTicket:
                # Someone changed the case meanwhile: show the latest case, keep what was typed.
                ticket = selectors.ticket_for_user(user=request.user, public_id=public_id)
                data = request.POST.copy()
                data["version"] = str(ticket.version)
                bound = (bound[0], form_class(data, ticket=ticket, user=request.user))
                messages.error(
                    request,
                    _(
                        "Someone else changed this case while you were on it: nothing was saved. "
                        "Check the latest version below, then try again (what you typed is kept)."
                    ),
                )
                status = 409
            except ValidationError as exc:
                _add_service_error(form, exc)
            else:
                messages.success(request, str(DONE_MESSAGES[action]))
                panels.panels_after_action(request=request, ticket=ticket, action=action, form=form)
                return HttpResponseRedirect(request.path)
    forms = _forms(ticket, request.user, bound)
    theme_links = selectors.ticket_theme_links(ticket=ticket)
    # Offer only the themes the answer does not have yet.
    tag_field = forms["tag"].fields["theme"]
    tag_field.queryset = tag_field.queryset.exclude(id__in=[link.theme_id for link in theme_links])
    context = {
        "ticket": ticket,
        "response": ticket.response,
        "events": selectors.ticket_events(ticket=ticket),
        "hidden_fields": TIMELINE_HIDDEN_FIELDS,
        "theme_links": theme_links,
        "forms": forms,
        "can_assign": selectors.sees_every_team(request.user),
        "now": timezone.now(),
        "deadline_words": services.ticket_deadline_words(ticket),
        "inbox_url": reverse("followups:inbox"),
    }
    context.update(panels.panels_context(request=request, ticket=ticket, page_context=context))
    return render(request, "followups/ticket_detail.html", context, status=status)
