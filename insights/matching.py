"""Matching a new answer to the accepted themes by meaning. Pure, no ORM.

The comment is read like the discovery read it (denied problems dropped, stop words out,
stems), weighted by the discovery run's inverse document frequencies, and compared (cosine)
with each theme's centre: the mean TF-IDF vector of the comments it was found in, plus the
theme's keywords, which a manager can edit. A theme matches above its threshold. So
"the parcel took two weeks" finds Delivery without the keyword "late", and "delivery was not
late at all, great!" does not: its only delivery words sit in a denied problem, and what is
left only praises.
"""

import math
from collections import Counter
from dataclasses import dataclass

from insights import text as textlib

DEFAULT_THRESHOLD = 0.2
# How much the keywords weigh against the centre of the comments (which has norm 1).
KEYWORD_WEIGHT = 0.6


@dataclass(frozen=True)
class ThemeVector:
    theme_id: int
    weights: dict[str, float]
    idf: dict[str, float]
    default_idf: float
    threshold: float = DEFAULT_THRESHOLD
    # A complaint theme (mostly detractors) never matches a comment that only praises.
    is_complaint: bool = True


def _normalised(weights: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(value * value for value in weights.values()))
    return {term: value / norm for term, value in weights.items()} if norm else {}


def theme_vector(
    *,
    theme_id: int,
    centroid: dict,
    keywords: list[str],
    idf: dict,
    default_idf: float,
    threshold: float,
    is_complaint: bool = True,
) -> ThemeVector:
    """A theme's vector: its comments' centre, with its keywords' stems added."""
    weights = dict(_normalised(centroid))
    keyword_terms = Counter(term for keyword in keywords for term in textlib.terms(keyword))
    if keyword_terms:
        share = KEYWORD_WEIGHT / math.sqrt(len(keyword_terms))
        for term in keyword_terms:
            weights[term] = weights.get(term, 0.0) + share
    return ThemeVector(theme_id, _normalised(weights), dict(idf), default_idf, threshold, is_complaint)


def comment_vector(text: str, idf: dict[str, float], default_idf: float) -> dict[str, float]:
    counts = Counter(textlib.terms(text))
    return _normalised({term: (1 + math.log(count)) * idf.get(term, default_idf) for term, count in counts.items()})


def similarity(text: str, theme: ThemeVector) -> float:
    vector = comment_vector(text, theme.idf, theme.default_idf)
    return sum(weight * theme.weights.get(term, 0.0) for term, weight in vector.items())


def matching_themes(text: str, themes: list[ThemeVector]) -> list[tuple[int, float]]:
    """The themes `text` is about, best first, with their similarity."""
    if not text or not themes:
        return []
    praise = textlib.is_praise(text)
    found = [(theme.theme_id, similarity(text, theme)) for theme in themes if not (praise and theme.is_complaint)]
    return sorted(
        ((theme_id, score) for theme_id, score in found if score >= _threshold(themes, theme_id)),
        key=lambda pair: -pair[1],
    )


def _threshold(themes: list[ThemeVector], theme_id: int) -> float:
    return next(theme.threshold for theme in themes if theme.theme_id == theme_id)
