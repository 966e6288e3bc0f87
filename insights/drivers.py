"""What to fix first: which groups of answers pull the NPS down, and by how much. Pure, no ORM.

A group is the answers that share something: a theme, a criterion chosen, a satisfaction
level, a CRM attribute (age band, gender, region, plan). For each group:

- its share among all detractors and among all promoters;
- the NPS of the answers in it and of those not in it, each with a 95 % interval on
  adjusted-Wald counts (3 added to n, ¾ to promoters and to detractors), so small groups never
  show ± 0;
- its **impact**: the NPS points the whole would gain if the group's detractors became
  passives, 100 × (group's detractors) / (all answers);
- whether its NPS differs from the rest's (two-sided z test on the adjusted counts), with
  Holm's correction over every group tested; groups or rests under MIN_GROUP answers get no
  verdict.

The ranking puts the groups significantly below the rest first, by impact, then the others.
"""

import math
from dataclasses import dataclass

Z_95 = 1.96
MIN_GROUP = 30
ALPHA = 0.05


@dataclass(frozen=True)
class Counts:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    def __sub__(self, other: "Counts") -> "Counts":
        return Counts(
            self.promoters - other.promoters, self.passives - other.passives, self.detractors - other.detractors
        )

    @property
    def nps(self) -> float | None:
        return None if self.n == 0 else 100 * (self.promoters - self.detractors) / self.n

    def _adjusted(self) -> tuple[float, float, float]:
        n = self.n + 3
        return (self.promoters + 0.75) / n, (self.detractors + 0.75) / n, n

    @property
    def standard_error(self) -> float:
        """In NPS points, on adjusted-Wald counts."""
        p, d, n = self._adjusted()
        return 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)

    @property
    def interval(self) -> tuple[float, float] | None:
        """95 % interval of the NPS, centred on the adjusted estimate, within −100 and +100."""
        if self.n == 0:
            return None
        p, d, _n = self._adjusted()
        centre, margin = 100 * (p - d), Z_95 * self.standard_error
        return max(-100.0, centre - margin), min(100.0, centre + margin)


def counts_for(scores) -> Counts:
    promoters = passives = detractors = 0
    for score in scores:
        if score >= 9:
            promoters += 1
        elif score >= 7:
            passives += 1
        else:
            detractors += 1
    return Counts(promoters, passives, detractors)


@dataclass
class Driver:
    kind: str
    key: str
    label: str
    inside: Counts
    outside: Counts
    share_of_detractors: float | None
    share_of_promoters: float | None
    impact: float
    p_value: float | None = None
    significant: bool | None = None  # None: no verdict (a side under MIN_GROUP answers)

    @property
    def difference(self) -> float | None:
        if self.inside.nps is None or self.outside.nps is None:
            return None
        return self.inside.nps - self.outside.nps

    @property
    def is_below(self) -> bool:
        return bool(self.significant) and (self.difference or 0) < 0

    @property
    def has_verdict(self) -> bool:
        return self.significant is not None


def _p_value(inside: Counts, outside: Counts) -> float:
    p_in, d_in, _ = inside._adjusted()
    p_out, d_out, _ = outside._adjusted()
    difference = 100 * ((p_in - d_in) - (p_out - d_out))
    error = math.sqrt(inside.standard_error**2 + outside.standard_error**2)
    if error == 0:
        return 1.0
    z = abs(difference) / error
    return math.erfc(z / math.sqrt(2))


def holm(p_values: list[float], alpha: float = ALPHA) -> list[bool]:
    """Holm's step-down: which hypotheses are rejected at family-wise level `alpha`."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    rejected = [False] * len(p_values)
    m = len(p_values)
    for rank, i in enumerate(order):
        if p_values[i] <= alpha / (m - rank):
            rejected[i] = True
        else:
            break
    return rejected


def drivers(total: Counts, groups: list[tuple[str, str, str, Counts]], *, min_group: int = MIN_GROUP) -> list[Driver]:
    """Every group's figures, ranked: significantly below the rest first (by impact), then by impact.

    `groups` holds (kind, key, label, counts of the group's answers); `total` counts all answers.
    """
    result = []
    for kind, key, label, inside in groups:
        outside = total - inside
        result.append(
            Driver(
                kind=kind,
                key=key,
                label=label,
                inside=inside,
                outside=outside,
                share_of_detractors=inside.detractors / total.detractors if total.detractors else None,
                share_of_promoters=inside.promoters / total.promoters if total.promoters else None,
                impact=100 * inside.detractors / total.n if total.n else 0.0,
            )
        )
    tested = [driver for driver in result if driver.inside.n >= min_group and driver.outside.n >= min_group]
    for driver in tested:
        driver.p_value = _p_value(driver.inside, driver.outside)
    for driver, rejected in zip(tested, holm([driver.p_value for driver in tested]), strict=True):
        driver.significant = rejected
    result.sort(key=lambda driver: (not driver.is_below, -driver.impact, driver.kind, driver.label))
    return result
