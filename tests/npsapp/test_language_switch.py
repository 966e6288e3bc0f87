"""The staff navbar's language switch: one control, a button per other language, no JavaScript
needed (issue 19: a select that submitted itself sat beside a "Change language" button)."""

from django.urls import reverse


def test_the_navbar_offers_one_button_for_the_other_language(client, agent):
    client.force_login(agent)
    html = client.get(reverse("followups:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="language" value="fr"' in html
    assert (
        'value="en"'
        not in html.split('class="d-flex align-items-center gap-1 nps-language-switch"')[1].split("</form>")[0]
    )
    assert "data-autosubmit" not in html and "Change language" not in html
