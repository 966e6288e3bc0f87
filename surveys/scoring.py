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
        return 0 < self.n < small_sample_threshold()


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


# Adjusted-Wald (Sauro and Lewis): the interval is computed as if there were 3 more answers,
# ¾ of them promoters and ¾ detractors, so a small or unanimous sample never shows ± 0.
ADJUST_N = 3
ADJUST_EACH = 0.75
ALPHA = 0.05  # two-sided significance level of the change and breakdown tests


def _adjusted_shares(promoters: int, detractors: int, n: int) -> tuple[float, float, int]:
    n_adjusted = n + ADJUST_N
    return (promoters + ADJUST_EACH) / n_adjusted, (detractors + ADJUST_EACH) / n_adjusted, n_adjusted


def _adjusted_nps_and_error(promoters: int, passives: int, detractors: int) -> tuple[float, float] | None:
    """The adjusted-Wald NPS and its standard error, both in NPS points; None with no answers."""
    n = _check_counts(promoters, passives, detractors)
    if n == 0:
        return None
    p_p, p_d, n_adjusted = _adjusted_shares(promoters, detractors, n)
    variance = p_p + p_d - (p_p - p_d) ** 2
    return 100 * (p_p - p_d), math.sqrt(max(variance, 0.0) / n_adjusted) * 100


def margin_of_error(promoters: int, passives: int, detractors: int) -> float | None:
    """95 % margin of error of the NPS, in NPS points (adjusted-Wald).

    1.96 × √((p_P + p_D − (p_P − p_D)²) / n) × 100, the variance of a variable worth +1 for a
    promoter, 0 for a passive and −1 for a detractor, computed with n + 3 answers and
    promoters + ¾, detractors + ¾.
    """
    adjusted = _adjusted_nps_and_error(promoters, passives, detractors)
    return None if adjusted is None else Z_95 * adjusted[1]


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
    """Standard error of an NPS, in NPS points (adjusted-Wald)."""
    margin = result.margin
    return None if margin is None else margin / Z_95


def small_sample_threshold() -> int:
    from django.conf import settings

    return settings.NPSAPP_SMALL_SAMPLE


def difference_p_value(first: NpsResult, second: NpsResult) -> float | None:
    """Two-sided p-value of the difference between two independent NPS (adjusted-Wald z-test).

    z = (NPS₁ − NPS₂) / √(SE₁² + SE₂²), with both NPS and errors on adjusted-Wald counts.
    None when either has no answers.
    """
    a = _adjusted_nps_and_error(first.promoters, first.passives, first.detractors)
    b = _adjusted_nps_and_error(second.promoters, second.passives, second.detractors)
    if a is None or b is None:
        return None
    combined = math.sqrt(a[1] ** 2 + b[1] ** 2)
    return math.erfc(abs(a[0] - b[0]) / combined / math.sqrt(2))


def comparable(first: NpsResult, second: NpsResult, *, threshold: int | None = None) -> bool:
    """Whether both samples are large enough for a verdict (at least `threshold` answers each)."""
    threshold = small_sample_threshold() if threshold is None else threshold
    return first.n >= max(threshold, 1) and second.n >= max(threshold, 1)


def change_is_significant(current: NpsResult, previous: NpsResult, *, threshold: int | None = None) -> bool | None:
    """Whether two independent NPS differ by more than the noise (two-sided, 95 %).

    None (no verdict) when either side has fewer answers than the small-sample threshold.
    """
    if not comparable(current, previous, threshold=threshold):
        return None
    return difference_p_value(current, previous) <= ALPHA


def holm_rejections(p_values: list[float], *, alpha: float = ALPHA) -> list[bool]:
    """Holm's step-down correction: which of several tests stay significant together.

    The smallest p-value is compared with α/m, the next with α/(m − 1), and so on; the first
    that fails stops the procedure and every larger one fails too.
    """
    order = sorted(range(len(p_values)), key=lambda index: p_values[index])
    rejected = [False] * len(p_values)
    for rank, index in enumerate(order):
        if p_values[index] > alpha / (len(p_values) - rank):
            break
        rejected[index] = True
    return rejected


def groups_differing(groups: list[NpsResult], total: NpsResult, *, threshold: int | None = None) -> list[bool | None]:
    """For each group of a breakdown, whether its NPS differs from the rest's (Holm-corrected).

    None for a group not tested: it or the rest has fewer answers than the threshold.
    """
    verdicts: list[bool | None] = [None] * len(groups)
    tested, p_values = [], []
    for index, group in enumerate(groups):
        rest = without(total, group)
        if comparable(group, rest, threshold=threshold):
            tested.append(index)
            p_values.append(difference_p_value(group, rest))
    for index, rejected in zip(tested, holm_rejections(p_values), strict=True):
        verdicts[index] = rejected
    return verdicts


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
