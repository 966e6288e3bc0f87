"""The customer page: one customer seen across every app (profile, figures, timeline, at-risk reasons)."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from crm import selectors as crm_selectors
from customerview import atrisk_selectors, selectors, timeline
from npsapp import roles
from npsapp.roles import role_required


@role_required(roles.CAN_WORK_CASES)
@require_http_methods(["GET"])
def customer_detail(request, public_id):
    """One customer: profile, figures, purchases, events, answers, cases and why they may be at risk."""
    customer = crm_selectors.customer_by_public_id(public_id=public_id)
    today = timezone.localdate()
    context = {
        "customer": customer,
        "erased": customer.erased_at is not None,
        "crm": selectors.customer_crm_summary(
            customer=customer, viewer=request.user, today=today, with_earlier_responses=False
        ),
        "attributes": crm_selectors.customer_custom_attributes(customer=customer),
        "reasons": atrisk_selectors.customer_at_risk_reasons(
            customer=customer, policy=atrisk_selectors.at_risk_policy(), viewer=request.user, today=today
        ),
        **_timeline_context(request, customer),
    }
    return render(request, "customerview/customer_detail.html", context)


def _timeline_context(request, customer) -> dict:
    """The timeline's page (kinds and cursor from the URL) and the links to its other pages."""
    kinds = timeline.parse_kinds(request.GET.getlist("kind"))
    after = timeline.Cursor.parse(request.GET.get("after"))
    before = None if after else timeline.Cursor.parse(request.GET.get("before"))
    page = timeline.customer_timeline(customer=customer, viewer=request.user, kinds=kinds, before=before, after=after)
    base = reverse("customerview:customer", args=[customer.public_id])
    kind_query = [] if kinds == timeline.KIND_CODES else [("kind", kind) for kind in kinds]

    def url(**cursor: str) -> str:
        query = urlencode(kind_query + list(cursor.items()))
        return f"{base}?{query}#timeline" if query else f"{base}#timeline"

    return {
        "timeline": page,
        "timeline_kinds": [(code, label, code in kinds) for code, label in timeline.KINDS],
        "timeline_older_url": url(before=page.next_cursor) if page.next_cursor else "",
        "timeline_newer_url": url(after=page.newer_cursor) if page.newer_cursor else "",
        "timeline_newest_url": "" if page.is_first else url(),
    }
