"""NPS arithmetic: pure functions, no database.

Segments: promoter 9–10, passive 7–8, detractor 0–6 (critical 0–3).
NPS = %promoters − %detractors over answered scores; no answers → no score (None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from surveys.choices import Segment

SCORE_MIN = 0
SCORE_MAX = 10
CRITICAL_MAX = 3
Z_95 = 1.96


def validate_score(score) -> int:
    """Return `score` as an int in 0–10, or raise ValueError."""
    if isinstance(score, bool) or not isinstance(score, int):
        raise ValueError(f"score must be an integer, got {score!r}")
    if not SCORE_MIN <= score <= SCORE_MAX:
        raise ValueError(f"score must be between {SCORE_MIN} and {SCORE_MAX}, got {score}")
    return score


def segment_for(score: int) -> Segment:
    validate_score(score)
    if score >= 9:
        return Segment.PROMOTER
    if score >= 7:
        return Segment.PASSIVE
    return Segment.DETRACTOR


def is_critical(score: int) -> bool:
    return validate_score(score) <= CRITICAL_MAX


@dataclass(frozen=True)
class NpsResult:
    promoters: int
    passives: int
    detractors: int

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    def _share(self, count: int) -> float | None:
        return None if self.n == 0 else count / self.n

    @property
    def pct_promoters(self) -> float | None:
        share = self._share(self.promoters)
        return None if share is None else 100 * share

    @property
    def pct_passives(self) -> float | None:
        share = self._share(self.passives)
        return None if share is None else 100 * share

    @property
    def pct_detractors(self) -> float | None:
        share = self._share(self.detractors)
        return None if share is None else 100 * share

    @property
    def score(self) -> float | None:
        """The NPS from −100 to +100, or None with no answers."""
        return nps_from_counts(self.promoters, self.passives, self.detractors)

    @property
    def margin(self) -> float | None:
        return margin_of_error(self.promoters, self.passives, self.detractors)

    @property
    def band(self):
        return band_label(self.score)

    @property
    def band_key(self) -> str | None:
        return band_key(self.score)

    @property
    def is_small_sample(self) -> bool:
        from django.conf import settings

        return 0 < self.n < settings.NPSAPP_SMALL_SAMPLE


def _check_counts(*counts: int) -> int:
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"counts must be non-negative integers, got {count!r}")
    return sum(counts)


def nps_from_counts(promoters: int, passives: int, detractors: int) -> float | None:
    n = _check_counts(promoters, passives, detractors)
    if n == 0:
        return None
    return 100 * (promoters - detractors) / n


def margin_of_error(promoters: int, passives: int, detractors: int) -> float | None:
    """95 % margin of error of the NPS, in NPS points.

    1.96 × √((p_P + p_D − (p_P − p_D)²) / n) × 100, the variance of a variable worth
    +1 for a promoter, 0 for a passive and −1 for a detractor.
    """
    n = _check_counts(promoters, passives, detractors)
    if n == 0:
        return None
    p_p = promoters / n
    p_d = detractors / n
    variance = p_p + p_d - (p_p - p_d) ** 2
    return Z_95 * math.sqrt(max(variance, 0.0) / n) * 100


_BANDS = (  # (exclusive lower bound, key), best first
    (80, "world-class"),
    (50, "excellent"),
    (20, "favourable"),
    (0, "good"),
)
_BAND_LABELS = {
    "world-class": _("world-class"),
    "excellent": _("excellent"),
    "favourable": _("favourable"),
    "good": _("good"),
    "needs-work": _("needs work"),
}


def band_key(nps: float | None) -> str | None:
    """≤ 0 needs work, > 0 good, > 20 favourable, > 50 excellent, > 80 world-class."""
    if nps is None:
        return None
    for threshold, key in _BANDS:
        if nps > threshold:
            return key
    return "needs-work"


def band_label(nps: float | None):
    key = band_key(nps)
    return None if key is None else _BAND_LABELS[key]


def standard_error(result: NpsResult) -> float | None:
    """Standard error of an NPS, in NPS points."""
    margin = result.margin
    return None if margin is None else margin / Z_95


def change_is_significant(current: NpsResult, previous: NpsResult) -> bool | None:
    """Whether two independent NPS differ by more than the noise (two-sided, 95 %).

    None when either has no answers. When both samples are unanimous (zero variance) the
    normal approximation says nothing: a difference then counts only between samples that are
    not small, and small ones get no verdict.
    """
    se_current, se_previous = standard_error(current), standard_error(previous)
    if se_current is None or se_previous is None:
        return None
    difference = abs(current.score - previous.score)
    combined = math.sqrt(se_current**2 + se_previous**2)
    if combined == 0:
        if current.is_small_sample or previous.is_small_sample:
            return None
        return difference > 0
    return difference > Z_95 * combined


def without(total: NpsResult, part: NpsResult) -> NpsResult:
    """The answers in `total` that are not in `part` ("the rest" of a breakdown)."""
    return NpsResult(
        promoters=total.promoters - part.promoters,
        passives=total.passives - part.passives,
        detractors=total.detractors - part.detractors,
    )


def result_from_score_counts(counts) -> NpsResult:
    """The NPS of answers counted per score: counts[s] answers gave score s (0–10)."""
    if len(counts) != SCORE_MAX - SCORE_MIN + 1:
        raise ValueError("expected one count per score from 0 to 10")
    return NpsResult(promoters=sum(counts[9:11]), passives=sum(counts[7:9]), detractors=sum(counts[0:7]))
