"""Reading a customer's comment for theme discovery and matching. Pure, no ORM.

A comment is cut into clauses; a clause that denies a problem ("the delivery was not late",
"le prix n'est pas le souci") is dropped, because it names a topic the customer is *not*
complaining about. What remains is lower-cased, stripped of accents and of French and English
stop words, and lightly stemmed (Snowball, in the clause's language), so "livraisons" and
"livraison", "refunded" and "refund" count as one term.
"""

import re
from functools import lru_cache

import snowballstemmer

from surveys.themes import CONTRASTS, NEGATIONS, PROBLEM_WORDS, clause_words, denies_a_problem, normalise

# The denial rules are the keyword rules' own (surveys.themes): one definition for both.
__all__ = ["CONTRASTS", "NEGATIONS", "PROBLEM_WORDS", "denies_a_problem", "normalise"]

ENGLISH_STOP_WORDS = frozenset(
    """a about above after again all also am an and any are as at be been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her
    here hers him his how i if in into is it its itself just me more most my myself now of off on once
    only or other our ours out over own same she should so some such than that the their theirs them then
    there these they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours yourself s t d ll m re ve y get got one really still
    again ever even much many well hello hi honestly sadly please thanks thank""".split()
)
FRENCH_STOP_WORDS = frozenset(
    """a ai aie ainsi alors apres au aucun aussi autre aux avec avoir bref c ca car ce ceci cela celle celui
    ces cet cette chez ci comme comment d dans de des deja donc dont du elle elles en encore est et etaient
    etait ete etre eu fait faire fois franchement hui il ils j je jusqu l la le les leur leurs lui m ma mais
    me meme mes moi mon n ne ni nos notre nous on ont ou par parce pas peu peut plus pour pourquoi qu quand
    que quel quelle quelles quels qui s sa sans se ses si sont sous suis sur t ta te tes toi ton tous tout
    toute toutes tres trop tu un une vos votre vous y bonjour merci svp dommage deja toujours ete avons avez
    va vais vont""".split()
)
# Praise: a comment with these and no problem word is not a complaint about anything.
PRAISE_WORDS = frozenset(
    """great good excellent perfect perfectly love loved amazing fast quick quickly friendly helpful nice happy
    satisfied super awesome fantastic wonderful parfait parfaite genial geniale top rapide rapides rapidement bien
    bon bonne ravi ravie satisfait satisfaite agreable impeccable formidable""".split()
)
_CLAUSE_SPLIT = re.compile(r"[.;:!?,()\n]+")
# Scores of each language's stop words: the clause's language is the one with more of them.
_ENGLISH_ONLY = ENGLISH_STOP_WORDS - FRENCH_STOP_WORDS
_FRENCH_ONLY = FRENCH_STOP_WORDS - ENGLISH_STOP_WORDS
_STEMMERS = {"en": snowballstemmer.stemmer("english"), "fr": snowballstemmer.stemmer("french")}


def clauses(text: str) -> list[list[str]]:
    """The words of each clause of `text`, normalised (lower case, no accents)."""
    result = []
    for part in _CLAUSE_SPLIT.split(normalise(text)):
        words = clause_words(part)
        # A contrast word starts a new clause ("not late but broken").
        current: list[str] = []
        for word in words:
            if word in CONTRASTS and current:
                result.append(current)
                current = []
                continue
            current.append(word)
        if current:
            result.append(current)
    return result


def language_of(words: list[str]) -> str:
    """'fr' or 'en', whichever language's own stop words the words use more (English on a tie)."""
    french = sum(1 for word in words if word in _FRENCH_ONLY)
    english = sum(1 for word in words if word in _ENGLISH_ONLY)
    return "fr" if french > english else "en"


def kept_clauses(text: str) -> list[tuple[list[str], str]]:
    """The clauses of `text` that do not deny a problem, each with its language."""
    return [(words, language_of(words)) for words in clauses(text) if not denies_a_problem(words)]


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    return _STEMMERS[language].stemWord(word)


def is_stop_word(word: str) -> bool:
    return word in ENGLISH_STOP_WORDS or word in FRENCH_STOP_WORDS or len(word) < 2


def terms(text: str) -> list[str]:
    """The stemmed content words of `text`'s kept clauses (the TF-IDF analyser)."""
    return terms_of(kept_clauses(text))


def terms_of(kept: list[tuple[list[str], str]]) -> list[str]:
    return [
        stem(word, language)
        for words, language in kept
        for word in words
        if word not in NEGATIONS and not is_stop_word(word)
    ]


def phrases(text: str, max_words: int = 3) -> list[tuple[str, str]]:
    """Candidate key phrases of `text` with their language: 1 to 3 words, none starting or ending
    with a stop word, none spanning a negation. Normalised surface words, not stems, so they read well."""
    return phrases_of(kept_clauses(text), max_words)


def phrases_of(kept: list[tuple[list[str], str]], max_words: int = 3) -> list[tuple[str, str]]:
    found = []
    for words, language in kept:
        for start in range(len(words)):
            first = words[start]
            if is_stop_word(first) or first in NEGATIONS:
                continue
            for size in range(1, max_words + 1):
                end = start + size
                if end > len(words):
                    break
                last = words[end - 1]
                if last in NEGATIONS:
                    break
                if is_stop_word(last):
                    continue
                found.append((" ".join(words[start:end]), language))
    return found


def clean_text(text: str) -> str:
    """`text` without its denied problems, for an embedding model."""
    return ". ".join(" ".join(words) for words, _language in kept_clauses(text))


def is_praise(text: str) -> bool:
    """Whether `text` only praises: a praise word said plainly, and no problem word left once denials are dropped."""
    praised = False
    for words, _language in kept_clauses(text):
        for i, word in enumerate(words):
            if word in PROBLEM_WORDS:
                return False
            if word in PRAISE_WORDS:
                if any(before in NEGATIONS for before in words[max(0, i - 3) : i]):
                    return False  # "not great", "pas bien"
                praised = True
    return praised
