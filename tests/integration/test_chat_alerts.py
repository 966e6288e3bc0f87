"""A critical detractor's chat alert on the real stack: the worker opens the case, writes the
alert in the outbox with it, and delivers it to the team's channel after the commit."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from chatalerts.models import ChatDestination
from followups.models import Team, Ticket
from integrations.choices import DeliveryStatus
from integrations.models import WebhookDelivery
from surveys import services as survey_services
from tests.chatalerts.shapes import check_slack
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_critical_detractor_reaches_the_teams_slack_through_the_real_worker(stack):
    received = []

    class Slack(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            check_slack(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Slack)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    try:
        team = Team.objects.create(name="Support Paris")
        ChatDestination.objects.create(
            name="Paris",
            team=team,
            platform="slack",
            url=f"http://127.0.0.1:{server.server_port}/slack",
            events=["case.opened"],
            allow_private_addresses=True,
        )
        stack.worker(NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
        stack.wait_for_log("worker", "ready")
        invitation = InvitationFactory(survey=SurveyFactory(team=team), customer=CustomerFactory())

        survey_services.response_submit(invitation=invitation, score=0, comment="Never again")

        wait_for(lambda: received, timeout=60, what="the worker to deliver the chat alert")
    finally:
        server.shutdown()
        server.server_close()

    ticket = Ticket.objects.get(response__invitation=invitation)
    [alert] = received
    assert alert["text"] == "New critical detractor: 0/10: Never again"
    assert str(ticket.public_id) in alert["blocks"][-1]["elements"][0]["url"]
    wait_for(
        lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists(),
        timeout=10,
        what="the delivery to be recorded",
    )
