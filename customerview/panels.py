"""The customer's history beside a case: a panel registered in followups.panels."""

from customerview.selectors import customer_crm_summary
from customerview.timeline import case_timeline_url
from followups.panels import SIDE, CasePanel

# Above the actions on the case.
CASE_PANEL_ORDER = 10


def _context(*, request, ticket) -> dict:
    if ticket.customer is None:
        return {"crm": None, "timeline_url": ""}
    crm = customer_crm_summary(
        customer=ticket.customer,
        viewer=request.user,
        # An outreach case has no response (response_id None): every earlier answer is shown.
        exclude_response_id=ticket.response_id,
        exclude_ticket_id=ticket.id,
    )
    return {"crm": crm, "timeline_url": case_timeline_url(ticket=ticket)}


CASE_PANEL = CasePanel(
    key="crm", template="customerview/_case_crm.html", column=SIDE, order=CASE_PANEL_ORDER, context=_context
)
