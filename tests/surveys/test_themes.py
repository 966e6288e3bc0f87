"""Keyword rules for themes: pure, no database."""

import pytest

from surveys.themes import matching_theme_ids, normalise, parse_keywords, rule_keywords

DELIVERY, PRICE, SUPPORT = 1, 2, 3
RULES = [
    (DELIVERY, parse_keywords("retard\nlivraison\nlate delivery\ncolis\nn'est pas arrivé")),
    (PRICE, parse_keywords("prix\ntoo expensive\ncher")),
    (SUPPORT, parse_keywords("s.a.v.\nservice client\nsupport")),
]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Retard de LIVRAISON", "retard de livraison"),
        ("Électricité  très\tchère\n", "electricite tres chere"),
        ("  ", ""),
        ("Straße", "strasse"),
        ("n’est pas", "n'est pas"),
        ("après-vente", "apres vente"),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "textarea, expected",
    [
        ("retard\nlivraison", ["retard", "livraison"]),
        ("  Retard \n\n\nRETARD\nretard  ", ["retard"]),
        ("late   delivery\r\nLivraison", ["late delivery", "livraison"]),
        ("", []),
        ("\n  \n", []),
        ("Délai\ndelai", ["delai"]),
    ],
)
def test_parse_keywords(textarea, expected):
    assert parse_keywords(textarea) == expected


def test_rule_keywords_merges_both_languages_without_repeats():
    assert rule_keywords("delivery\nparcel", "livraison\nParcel") == ["delivery", "parcel", "livraison"]


@pytest.mark.parametrize(
    "comment, expected",
    [
        ("Retard de livraison", {DELIVERY}),
        ("Le colis est arrivé en retard!", {DELIVERY}),
        ("La livraison était en RETARD, et le prix trop élevé", {DELIVERY, PRICE}),
        ("Mon colis n’est pas arrivé", {DELIVERY}),
        ("prixe", set()),
        ("Un retardataire", set()),
        ("Too expensive for what it is", {PRICE}),
        ("TOO   EXPENSIVE", {PRICE}),
        ("expensive", set()),
        ("c'est trop cher.", {PRICE}),
        ("Le S.A.V. ne répond pas", {SUPPORT}),
        ("Le sav ne répond pas", set()),
        ("Service-client injoignable", {SUPPORT}),
        ("Supporter de l'équipe", set()),
        ("Le service   client est injoignable", {SUPPORT}),
        ("late delivery and support was useless", {DELIVERY, SUPPORT}),
        ("", set()),
        ("Parfait, rien à dire", set()),
        # A denied problem is not what the customer complains about...
        ("Pas de retard, et pas cher du tout !", set()),
        ("Le colis n'était pas en retard, mais le S.A.V. ne répond pas", {SUPPORT}),
        ("The product was not too expensive but the late delivery hurt", {DELIVERY}),
        ("It wasn't a late delivery at all, great!", set()),
        # ...but the rest of the comment still counts, and a negation of something else changes nothing.
        ("Retard de livraison, le prix n'est pas un problème", {DELIVERY}),
        ("Pas content: livraison en retard", {DELIVERY}),
    ],
)
def test_matching_theme_ids(comment, expected):
    assert matching_theme_ids(comment, RULES) == expected


@pytest.mark.parametrize(
    "keywords, comment, matches",
    [
        (["Délai"], "Un delai trop long", True),
        (["delai"], "Un DÉLAI trop long", True),
        (["  late  delivery "], "very late delivery", True),
        (["prix"], "prix.", True),
        (["prix"], "(prix)", True),
        (["prix"], "surprix", False),
        ([], "anything", False),
        (["", "  "], "anything", False),
        (["a+b"], "a+b is wrong", True),
    ],
)
def test_raw_keywords_are_normalised_and_regex_safe(keywords, comment, matches):
    assert matching_theme_ids(comment, [(7, keywords)]) == ({7} if matches else set())
