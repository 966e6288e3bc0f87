"""The feedback button on the company's site: the public page opens in a frame from an allowed
origin (another local port), is refused from any other, and answers go through without a cookie."""

import http.server
import re
import threading
import urllib.request

import pytest

from surveys.models import Response
from tests.factories import SurveyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shop_site(script_url: str):
    """A one-page site on its own local port whose page carries the script tag."""
    body = (
        "<!DOCTYPE html><html lang='en'><head><title>Shop</title></head><body><h1>Shop</h1>"
        f"<script src='{script_url}' async></script></body></html>"
    ).encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def shop_sites(live_server):
    survey = SurveyFactory(name="Shop", public_form_enabled=True)
    script = f"{live_server.url}/f/{survey.public_id}/embed.js"
    allowed, refused = _shop_site(script), _shop_site(script)
    survey.embed_origins = f"http://127.0.0.1:{allowed.server_port}"
    survey.save()
    # The server's first request loads the URLs and the catalogues: done here, not within the
    # browser's time limits on a busy machine.
    urllib.request.urlopen(script, timeout=60).read()
    yield survey, f"http://127.0.0.1:{allowed.server_port}/", f"http://127.0.0.1:{refused.server_port}/"
    allowed.shutdown()
    refused.shutdown()


def test_allowed_site_opens_the_form_in_a_frame_and_the_answer_is_recorded(page, shop_sites):
    survey, allowed_url, _refused = shop_sites
    page.goto(allowed_url, wait_until="domcontentloaded")
    button = page.get_by_role("button", name="Feedback")
    button.click()
    dialog = page.get_by_role("dialog")
    assert dialog.is_visible()
    # Focus moves into the dialog; Escape closes it and gives focus back to the button.
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Close"
    page.keyboard.press("Escape")
    assert dialog.count() == 0
    assert page.evaluate("document.activeElement.textContent") == "Feedback"

    button.click()
    form = page.frame_locator("iframe").locator("#survey-form")
    form.get_by_role("radio", name=re.compile(r"^2\b")).click()
    form.get_by_role("button", name="Send my feedback").click()
    page.frame_locator("iframe").get_by_text("Thank you").first.wait_for()
    answer = Response.objects.get(survey=survey)
    assert answer.score == 2

    # Escape typed inside the frame closes the dialog too (the frame tells the page). The
    # thank-you page's script that listens for it is deferred: wait until the page has loaded,
    # or a quick keystroke on a busy machine lands before anyone listens. Only the key's going
    # down is sent: the frame is gone by the time it would come up, and Chromium then never
    # answers for that event (a whole press() hangs now and then).
    frame = page.main_frame.child_frames[0]
    frame.wait_for_load_state("load")
    frame.get_by_text("Thank you").first.click()
    page.keyboard.down("Escape")
    page.get_by_role("dialog").wait_for(state="detached")


def test_other_site_is_refused_the_frame(page, shop_sites):
    _survey, _allowed, refused_url = shop_sites
    page.goto(refused_url, wait_until="domcontentloaded")
    page.get_by_role("button", name="Feedback").click()
    page.wait_for_timeout(1500)
    frame = page.frames[-1]
    assert frame is not page.main_frame
    # Chromium blocks the framed page (frame-ancestors) and shows its own error page instead.
    assert frame.locator("#survey-form").count() == 0
