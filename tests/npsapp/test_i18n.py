import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

PO = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"


@pytest.mark.skipif(not shutil.which("msgattrib"), reason="GNU gettext is not installed")
def test_french_catalogue_is_complete():
    untranslated = subprocess.run(
        ["msgattrib", "--untranslated", "--no-obsolete", str(PO)], capture_output=True, text=True, check=True
    ).stdout
    fuzzy = subprocess.run(["msgattrib", "--only-fuzzy", str(PO)], capture_output=True, text=True, check=True).stdout
    missing = [m for m in re.findall(r'^msgid "(.+)"$', untranslated, re.M)]
    assert missing == []
    assert re.findall(r'^msgid "(.+)"$', fuzzy, re.M) == []


def test_survey_page_in_french(client, invitation):
    invitation.customer.language = "fr"
    invitation.customer.save()
    html = client.get(reverse("surveys:respond", args=[invitation.token])).content.decode()
    assert "Quelle est la probabilité que vous recommandiez Maison Test" in html


def test_staff_pages_follow_the_language_switch(client, agent):
    client.force_login(agent)
    client.post(reverse("set_language"), {"language": "fr", "next": "/inbox/"})
    html = client.get(reverse("followups:inbox")).content.decode()
    assert 'lang="fr"' in html
    assert "Les miens" in html
