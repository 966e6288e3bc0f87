import re

from django.contrib.staticfiles import finders
from django.urls import reverse


def test_the_schema_is_openapi_3_and_lists_the_v1_operations(anonymous_api):
    reply = anonymous_api.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert reply.status_code == 200
    schema = reply.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/customers/{external_id}/", "/api/v1/responses/", "/api/v1/nps/", "/api/v1/cases/"} <= set(
        schema["paths"]
    )
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token created in the admin.",
    }
    patch = schema["paths"]["/api/v1/cases/{public_id}/"]["patch"]
    assert {"200", "400", "401", "403", "404", "429"} <= set(patch["responses"])


def test_docs_page_runs_no_inline_code_and_loads_only_local_assets(client):
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts
    assert all(body.strip() == "" for _attrs, body in scripts), "inline script"
    assert "<style" not in html and " style=" not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    init_script = [src for src in sources if not src.startswith("/static/")]
    assert init_script == [reverse("api-docs") + "?script="], "only our own assets"
    for src in sources:
        if src.startswith("/static/"):
            assert finders.find(src.removeprefix("/static/")), src


def test_docs_init_script_is_served_as_javascript_pointing_at_the_schema(client):
    reply = client.get(reverse("api-docs") + "?script=")
    assert reply.status_code == 200
    assert reply["Content-Type"].startswith("application/javascript")
    assert reverse("api-schema") in reply.content.decode()
