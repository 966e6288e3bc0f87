"""Property-based tests of the whole API against its own OpenAPI schema, in process.

Schemathesis reads /api/schema/ and, for every operation, sends generated requests, valid and
invalid, with a write token. Pass condition: no server error and no answer that contradicts
the schema. Ids in addresses and filters are half the time those of a customer, a survey, a
response and a case that exist, so that the code past the 404 is exercised too.

The bounded run takes well under a minute. For a deeper one (adds Schemathesis's coverage
phase: boundary values and every wrong type, a few minutes):
    NPSAPP_SCHEMATHESIS_DEEP=1 .venv/bin/pytest tests/integrations/test_schemathesis.py
"""

import os
import uuid

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from followups.services import ticket_open_for_response
from npsapp.wsgi import application
from tests.factories import CustomerFactory, ResponseFactory, SurveyFactory

MAX_EXAMPLES = 20
DEEP = os.environ.get("NPSAPP_SCHEMATHESIS_DEEP") == "1"
SURVEY_ID = uuid.UUID("5a1e5a1e-0000-4000-8000-000000000001")
RESPONSE_ID = uuid.UUID("5a1e5a1e-0000-4000-8000-000000000002")
CASE_ID = uuid.UUID("5a1e5a1e-0000-4000-8000-000000000003")
EXTERNAL_ID = "API-1"

config = SchemathesisConfig.from_dict(
    {
        "seed": int(os.environ.get("NPSAPP_SCHEMATHESIS_SEED", "20260101")),
        "generation": {"max-examples": MAX_EXAMPLES},
        "phases": {"coverage": {"enabled": DEEP}},
        "dictionaries": {
            "public_ids": {"values": [str(SURVEY_ID), str(RESPONSE_ID), str(CASE_ID)]},
            "external_ids": {"values": [EXTERNAL_ID]},
            "usernames": {"values": ["alice"]},
        },
        "parameters": {
            "path.public_id": {"dictionary": "public_ids", "probability": 0.5},
            "path.external_id": {"dictionary": "external_ids", "probability": 0.5},
            "query.survey": {"dictionary": "public_ids", "probability": 0.5},
            "query.customer": {"dictionary": "external_ids", "probability": 0.5},
            "query.assignee": {"dictionary": "usernames", "probability": 0.5},
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=config)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Requests go to the WSGI app directly, not through Django's test client, which is what
    stops the end of each request from closing the database connection (and with it the
    test's transaction, on PostgreSQL). Do the same here."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def known_objects(agent):
    survey = SurveyFactory(public_id=SURVEY_ID)
    customer = CustomerFactory(external_id=EXTERNAL_ID)
    response = ResponseFactory(
        public_id=RESPONSE_ID, score=2, comment="Late", invitation__survey=survey, invitation__customer=customer
    )
    ticket = ticket_open_for_response(response=response)
    ticket.public_id = CASE_ID
    ticket.save(update_fields=["public_id"])
    ResponseFactory(score=10, invitation__survey=survey)


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_answers_match_the_schema_and_never_fail(case, write_key, known_objects):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {write_key}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
