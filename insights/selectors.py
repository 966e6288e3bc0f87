"""Reads for theme discovery, the review page and matching."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from crm.choices import AgeBand, Gender, Plan
from insights.discovery import Comment
from insights.drivers import MIN_GROUP, Counts, Driver, counts_for
from insights.drivers import drivers as driver_ranking
from insights.matching import ThemeVector, theme_vector
from insights.models import DiscoveryRun, ProposalStatus, ThemeMatcher, ThemeProposal
from surveys import themes as theme_rules
from surveys.models import Response, ResponseTheme, Survey, Theme


def discovery_responses(*, since: date | None = None, until: date | None = None, survey: Survey | None = None):
    """The answers discovery reads: with a comment, not from an erased customer, in the period."""
    responses = Response.objects.exclude(comment="").exclude(customer__erased_at__isnull=False)
    if since is not None:
        responses = responses.filter(submitted_at__date__gte=since)
    if until is not None:
        responses = responses.filter(submitted_at__date__lte=until)
    if survey is not None:
        responses = responses.filter(survey=survey)
    return responses


def discovery_comments(responses: QuerySet) -> list[Comment]:
    rows = responses.order_by("id").values_list("id", "comment", "score").iterator(chunk_size=5000)
    return [Comment(id=response_id, text=comment, score=score) for response_id, comment, score in rows]


def proposals_to_review() -> QuerySet:
    return ThemeProposal.objects.filter(status=ProposalStatus.OPEN).select_related("run").order_by("-size", "id")


def proposals_decided(limit: int = 20) -> QuerySet:
    return (
        ThemeProposal.objects.exclude(status=ProposalStatus.OPEN)
        .select_related("theme", "decided_by")
        .order_by("-decided_at", "-id")[:limit]
    )


def latest_run() -> DiscoveryRun | None:
    return DiscoveryRun.objects.defer("idf").first()


def example_comments(proposals) -> dict[int, list[str]]:
    """Each proposal's example comments that still have a text (erasure empties them), in one query."""
    wanted = {response_id for proposal in proposals for response_id in proposal.example_ids}
    texts = dict(Response.objects.filter(id__in=wanted).exclude(comment="").values_list("id", "comment"))
    return {
        proposal.id: [texts[response_id] for response_id in proposal.example_ids if response_id in texts]
        for proposal in proposals
    }


def dismissed_signatures() -> list[tuple[str, list[str]]]:
    """Fingerprints and signatures a run must not propose again: dismissed, accepted or merged."""
    return list(ThemeProposal.objects.exclude(status=ProposalStatus.OPEN).values_list("fingerprint", "signature"))


def theme_vectors() -> list[ThemeVector]:
    """The accepted themes that match new answers by meaning (active ones), with their keywords."""
    matchers = ThemeMatcher.objects.filter(theme__is_active=True).select_related("theme")
    return [
        theme_vector(
            theme_id=matcher.theme_id,
            centroid=matcher.centroid,
            keywords=theme_rules.rule_keywords(matcher.theme.keywords_en, matcher.theme.keywords_fr),
            idf=matcher.idf,
            default_idf=matcher.default_idf,
            threshold=matcher.threshold,
            is_complaint=matcher.is_complaint,
        )
        for matcher in matchers
    ]


def responses_since(moment) -> QuerySet:
    return Response.objects.filter(Q(submitted_at__gte=moment) | Q(corrected_at__gte=moment)).exclude(comment="")


# --- What to fix first -------------------------------------------------------------------------


@dataclass
class DriverReport:
    total: Counts
    drivers: list[Driver]
    criteria: list[tuple[str, int, float | None, Counts]]  # option, answers choosing it, share, their NPS counts
    criteria_answered: int
    satisfaction_mean: float | None
    satisfaction_n: int
    min_group: int = MIN_GROUP


def _labelled(kind: str, value: str) -> str:
    choices = {"age_band": AgeBand, "gender": Gender, "plan": Plan}.get(kind)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return value


def driver_report(responses: QuerySet) -> DriverReport:
    """Every group's drivers for `responses` (three queries: answers, their themes, theme names)."""
    rows = list(
        responses.order_by()
        .values_list(
            "id",
            "score",
            "criteria",
            "csat",
            "customer__age_band",
            "customer__gender",
            "customer__region",
            "customer__plan",
        )
        .iterator(chunk_size=5000)
    )
    scores = {row[0]: row[1] for row in rows}
    members: dict[tuple[str, str], list[int]] = defaultdict(list)
    satisfaction = []
    criteria_answered = 0
    for _response_id, score, criteria, csat, age_band, gender, region, plan in rows:
        if criteria:
            criteria_answered += 1
        for option in criteria or []:
            members[("criterion", option)].append(score)
        if csat is not None:
            satisfaction.append(csat)
            members[("satisfaction", str(csat))].append(score)
        for kind, value in (("age_band", age_band), ("gender", gender), ("region", region), ("plan", plan)):
            if value:
                members[(kind, value)].append(score)
    theme_links = (
        ResponseTheme.objects.filter(response__in=responses.order_by().values("id"))
        .values_list("response_id", "theme_id")
        .distinct()
    )
    theme_ids = set()
    for response_id, theme_id in theme_links.iterator(chunk_size=5000):
        if response_id in scores:
            members[("theme", str(theme_id))].append(scores[response_id])
            theme_ids.add(theme_id)
    themes = {str(theme.id): theme.label for theme in Theme.objects.filter(id__in=theme_ids)}
    total = counts_for(scores.values())
    groups = []
    for (kind, key), group_scores in members.items():
        label = themes.get(key, key) if kind == "theme" else _labelled(kind, key)
        groups.append((kind, key, label, counts_for(group_scores)))
    criteria = sorted(
        (
            (key, counts.n, counts.n / criteria_answered if criteria_answered else None, counts)
            for kind, key, _label, counts in groups
            if kind == "criterion"
        ),
        key=lambda row: -row[1],
    )
    return DriverReport(
        total=total,
        drivers=driver_ranking(total, groups),
        criteria=criteria,
        criteria_answered=criteria_answered,
        satisfaction_mean=sum(satisfaction) / len(satisfaction) if satisfaction else None,
        satisfaction_n=len(satisfaction),
    )
