"""What the customer view holds about a customer: the at-risk flags stored for them (CustomerRisk).

The privacy room (privacy.registry) finds this module through CustomerviewConfig.personal_data.
The row is derived from the other apps' data (and copies the last name to sort by): the export
shows the flags and when they were computed; an erasure deletes the row, which the next refresh
writes again from the erased customer's blanked data.
"""

from __future__ import annotations

from customerview.models import CustomerRisk
from npsapp.personal_data import plain

ORDER = 60


def export(subject, document: dict) -> None:
    """The stored at-risk flags: one query."""
    risk = CustomerRisk.objects.filter(customer=subject.customer).first()
    document["at_risk"] = (
        None
        if risk is None
        else {
            "at_risk": risk.at_risk,
            "inactive": risk.inactive,
            "cart_abandoned": risk.cart_abandoned,
            "unsubscribed": risk.unsubscribed,
            "detractor": risk.detractor,
            "computed_at": plain(risk.computed_at),
        }
    )


def erase(subject) -> dict[str, int]:
    deleted, _by_model = CustomerRisk.objects.filter(customer=subject.customer).delete()
    return {"at_risk_flags": deleted}
