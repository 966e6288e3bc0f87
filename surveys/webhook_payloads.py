"""The `data` of the answers' webhook events (response.created, response.corrected), and the
survey, answer and customer parts the case events reuse (followups/webhook_payloads.py).

Published through the outbox (integrations/events.py), which wraps them in the signed envelope.
"""

from integrations.webhooks import iso
from surveys import scoring


def survey_data(survey) -> dict:
    return {"id": str(survey.public_id), "name": survey.name}


def customer_data(customer) -> dict | None:
    """The CRM id only; none for anonymous answers or erased customers."""
    if customer is None or customer.erased_at is not None:
        return None
    return {"external_id": customer.external_id}


def response_data(response) -> dict:
    return {
        "id": str(response.public_id),
        "score": response.score,
        "segment": str(response.segment),
        "comment": response.comment,
        "channel": response.channel,
        "language": response.language,
        "submitted_at": iso(response.submitted_at),
        "corrected_at": iso(response.corrected_at),
    }


def response_event_data(response, *, previous=None) -> dict:
    """`data` of response.created and response.corrected. `customer` is left out for anonymous surveys.

    `previous` (a ResponseRevision) adds the answer the correction replaced: its score and segment.
    """
    data = {"response": response_data(response), "survey": survey_data(response.survey)}
    customer = customer_data(response.customer)
    if customer is not None:
        data["customer"] = customer
    if previous is not None:
        data["previous"] = {
            "score": previous.score,
            "segment": str(scoring.segment_for(previous.score)),
            "answered_at": iso(previous.answered_at),
        }
    return data
