"""The emails with the customer on the case page: a panel registered in followups.panels."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from conversations import selectors, services
from followups.panels import MAIN, CasePanel

# Below the answer and its themes, above the case's history.
CASE_PANEL_ORDER = 30


def _context(*, request, ticket) -> dict:
    return {"conversation": selectors.case_conversation(ticket=ticket, user=request.user)}


def _after_action(*, request, ticket, action: str, form) -> None:
    """A status change with "Email the customer about this change" ticked: the status update email."""
    if action != "status" or not form.cleaned_data.get("notify_customer"):
        return
    try:
        services.customer_status_update_send(ticket=ticket, actor=request.user)
    except ValidationError as exc:
        messages.error(
            request,
            _("The status changed, but the customer could not be emailed: %(reason)s")
            % {"reason": " ".join(exc.messages)},
        )
    else:
        messages.info(request, _("The customer was emailed about this change."))


CASE_PANEL = CasePanel(
    key="conversation",
    template="conversations/_case_conversation.html",
    column=MAIN,
    order=CASE_PANEL_ORDER,
    context=_context,
    after_action=_after_action,
)
