"""Keyword rules for themes: which themes a customer's comment mentions. Pure, no ORM.

Matching is on normalised text (case, accents and spacing ignored) and on whole words or
phrases, so "retard" matches "Retard de livraison" and "en retard!" but "prix" does not
match "prixe". A theme's English and French keywords apply to every comment: customers
mix languages. A clause that denies a problem ("the delivery was not late", "pas de
retard", "aucun souci") is left out: the customer names a topic they are not complaining about.
"""

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Typographic apostrophes (phones, word processors) count as the plain one, and a hyphen
# as a space, so "service client" also finds "service-client".
_PUNCTUATION = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "-": " ", "\u2010": " ", "\u2011": " ", "\u2013": " "}
)


def normalise(text: str) -> str:
    """Casefolded, without accents, hyphens as spaces, whitespace collapsed to single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_PUNCTUATION))
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(without_accents.split())


# Words that deny what follows them ("not late", "pas en retard", "aucun souci").
NEGATIONS = frozenset(
    """not no never nothing none nor without isn wasn weren aren didn doesn hasn haven
    pas jamais aucun aucune rien sans ni""".split()
)
# What a customer complains about, in general terms: a denial of one of these is a denied problem.
PROBLEM_WORDS = frozenset(
    """late delay delayed slow broken broke damaged faulty defective rude wrong problem problems issue issues
    crash crashed crashing bug bugs buggy error errors expensive overpriced missing lost out unavailable
    disappointing bad poor retard lent lente casse cassee abime abimee defectueux desagreable faux fausse
    probleme problemes souci soucis plante erreur erreurs cher chere chers manquant perdu perdue
    rupture indisponible mauvais mauvaise nul nulle""".split()
)
# A contrast marker ends a concession: "X was not a problem, but Y" is about Y.
CONTRASTS = frozenset("but however although though mais cependant pourtant toutefois".split())
_CLAUSE_BREAK = re.compile(r"([.;:!?,()\n]+|\b(?:" + "|".join(sorted(CONTRASTS)) + r")\b)")
_WORD = re.compile(r"[a-z0-9]+")


def denies_a_problem(words: list[str]) -> bool:
    """Whether a clause's words say a problem did not happen: a negation before a problem word, within 3 words."""
    for i, word in enumerate(words):
        if word in NEGATIONS and any(following in PROBLEM_WORDS for following in words[i + 1 : i + 4]):
            return True
    return False


def clause_words(clause: str) -> list[str]:
    """The words of a normalised clause; an elided "n'" or "l'" is a word of its own."""
    return _WORD.findall(clause.replace("'", " "))


def without_denied_problems(normalised: str) -> str:
    """`normalised` text with each clause that denies a problem blanked out (the rest unchanged)."""
    parts = _CLAUSE_BREAK.split(normalised)
    return "".join(" " if denies_a_problem(clause_words(part)) else part for part in parts)


def parse_keywords(text: str) -> list[str]:
    """The normalised keywords of a textarea: one word or phrase per line, blanks and repeats dropped."""
    return _unique(normalise(line) for line in text.splitlines())


def rule_keywords(*texts: str) -> list[str]:
    """One theme's keywords from all its textareas (English and French), without repeats."""
    return _unique(keyword for text in texts for keyword in parse_keywords(text))


def matching_theme_ids(comment: str, rules: list[tuple[int, list[str]]]) -> set[int]:
    """The ids of the themes whose keywords occur in `comment` as whole words or phrases.

    `rules` pairs a theme id with its keywords; keywords are normalised here too, so raw
    lines work as well as `parse_keywords` output.
    """
    text = without_denied_problems(normalise(comment))
    if not text.strip():
        return set()
    matched = set()
    for theme_id, keywords in rules:
        pattern = _pattern(tuple(keywords))
        if pattern is not None and pattern.search(text):
            matched.add(theme_id)
    return matched


@lru_cache(maxsize=256)
def _pattern(keywords: tuple[str, ...]) -> re.Pattern | None:
    # A periodic run and a re-application over every response ask for the same few themes
    # again and again: compile each theme's pattern once.
    alternatives = sorted(_unique(normalise(keyword) for keyword in keywords), key=len, reverse=True)
    if not alternatives:
        return None
    # Lookarounds rather than \b: a keyword may start or end with punctuation ("s.a.v.").
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(keyword) for keyword in alternatives) + r")(?!\w)")


def _unique(keywords: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keyword for keyword in keywords if keyword))
