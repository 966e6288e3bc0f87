"""Theme discovery on a small fixed set of comments (pure: no database)."""

from collections import Counter

from insights import text as textlib
from insights.discovery import Comment, discover, fingerprint, similar_signatures
from tests.insights.corpus import labelled


def _comments(rows, score=3):
    return [Comment(id=i, text=text, score=score) for i, (text, _theme) in enumerate(rows)]


def test_each_discovered_group_holds_one_theme_and_every_theme_is_found():
    rows = labelled()
    found = discover(_comments(rows), seed=0)
    assert found.proposals
    themes_found = set()
    for proposal in found.proposals:
        themes = Counter(rows[i][1] for i in proposal.member_ids)
        assert len(themes) == 1, (proposal.label, themes)
        themes_found |= set(themes)
    assert themes_found == {"delivery", "price", "support"}


def test_discovery_is_deterministic_for_a_seed():
    first = discover(_comments(labelled()), seed=0)
    second = discover(_comments(labelled()), seed=0)
    assert [(p.label, p.member_ids, p.fingerprint) for p in first.proposals] == [
        (p.label, p.member_ids, p.fingerprint) for p in second.proposals
    ]


def test_a_proposal_has_a_label_in_its_comments_language_key_phrases_examples_and_detractor_share():
    rows = labelled()
    comments = [Comment(id=i, text=text, score=2 if i % 2 else 9) for i, (text, _theme) in enumerate(rows)]
    found = discover(comments, seed=0)
    french_price = next(
        p for p in found.proposals if {rows[i][1] for i in p.member_ids} == {"price"} and p.language == "fr"
    )
    assert french_price.label == "Prix"
    assert "cher" in french_price.key_phrases
    english_support = next(
        p for p in found.proposals if {rows[i][1] for i in p.member_ids} == {"support"} and p.language == "en"
    )
    assert english_support.label == "Customer service"
    # Accents are given back as customers wrote them.
    french_support = next(
        p for p in found.proposals if {rows[i][1] for i in p.member_ids} == {"support"} and p.language == "fr"
    )
    assert "téléphone" in french_support.key_phrases
    for proposal in found.proposals:
        assert set(proposal.example_ids) <= set(proposal.member_ids)
        expected = sum(1 for i in proposal.member_ids if i % 2) / proposal.size
        assert proposal.detractor_share == round(expected, 4)


def test_too_few_comments_propose_nothing():
    assert discover(_comments(labelled()[:10])).proposals == []


def test_a_denied_problem_does_not_count_as_what_the_comment_is_about():
    assert textlib.terms("Delivery was not late at all, great!") == ["great"]
    assert textlib.terms("La livraison n'était pas en retard, super !") == ["super"]
    assert textlib.terms("The price is not a problem, but the parcel was late") == ["parcel", "late"]
    # A complaint phrased with a negation stays: nothing it denies is a problem word.
    assert textlib.terms("Customer service never answered") == ["custom", "servic", "answer"]


def test_fingerprint_ignores_order_and_similar_signatures_match():
    assert fingerprint(["late", "parcel", "deliveri", "x"]) == fingerprint(["deliveri", "late", "parcel", "y"])
    assert similar_signatures(["a", "b", "c", "d"], ["a", "b", "c", "e"])
    assert not similar_signatures(["a", "b", "c", "d"], ["e", "f", "g", "a"])
