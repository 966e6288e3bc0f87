"""Every write of theme discovery: runs, the review of proposals, and matching answers to themes."""

import logging
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insights import discovery, matching, selectors
from insights.models import DiscoveryRun, ProposalStatus, RunStatus, ThemeMatcher, ThemeProposal
from surveys.models import Response, ResponseTheme, Survey, Theme, ThemeSource

logger = logging.getLogger(__name__)
LINK_BATCH_SIZE = 2000


def discovery_run_create(
    *,
    since: date | None = None,
    until: date | None = None,
    survey: Survey | None = None,
    pipeline: str = "",
    requested_by=None,
) -> DiscoveryRun:
    """A run waiting to be executed (by `discovery_run_execute`, in a task)."""
    pipeline = pipeline or settings.NPSAPP_THEMES_PIPELINE
    if pipeline not in discovery.PIPELINES:
        raise ValidationError({"pipeline": _("Unknown pipeline.")})
    return DiscoveryRun.objects.create(
        pipeline=pipeline, since=since, until=until, survey=survey, requested_by=requested_by
    )


def discovery_run_execute(*, run: DiscoveryRun) -> list[ThemeProposal]:
    """Discover themes in the run's comments and store them as proposals to review.

    A proposal like one already decided (dismissed, accepted or merged: same fingerprint, or
    mostly the same main terms) is not proposed again. The open proposals of earlier runs are
    replaced by this run's. A failure is stored on the run.
    """
    if DiscoveryRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, finished_at=None).count() != 1:
        return []
    responses = selectors.discovery_responses(since=run.since, until=run.until, survey=run.survey)
    comments = selectors.discovery_comments(responses)
    try:
        found = discovery.discover(comments, pipeline=run.pipeline, seed=0)
    except Exception as exc:  # noqa: BLE001 - stored on the run for the page to show
        logger.exception("theme discovery run %s failed", run.pk)
        DiscoveryRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now(), comments_read=len(comments)
        )
        return []
    decided = selectors.dismissed_signatures()
    fresh = [
        proposal
        for proposal in found.proposals
        if not any(
            proposal.fingerprint == fingerprint or discovery.similar_signatures(proposal.signature, signature)
            for fingerprint, signature in decided
        )
    ]
    with transaction.atomic():
        ThemeProposal.objects.filter(status=ProposalStatus.OPEN).exclude(run=run).delete()
        created = ThemeProposal.objects.bulk_create(
            [
                ThemeProposal(
                    run=run,
                    label=proposal.label[:100],
                    language=proposal.language,
                    key_phrases=proposal.key_phrases,
                    phrase_languages=proposal.phrase_languages,
                    size=proposal.size,
                    detractor_share=proposal.detractor_share,
                    response_ids=proposal.member_ids,
                    example_ids=proposal.example_ids,
                    centroid=proposal.centroid,
                    signature=proposal.signature,
                    fingerprint=proposal.fingerprint,
                )
                for proposal in fresh
            ]
        )
        run.status = RunStatus.DONE
        run.comments_read = len(comments)
        run.idf = found.idf
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "comments_read", "idf", "finished_at"])
    return created


def _decide(proposal: ThemeProposal, status: str, actor) -> None:
    proposal.status = status
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()


def _lock_open(proposal: ThemeProposal) -> ThemeProposal:
    locked = ThemeProposal.objects.select_for_update().select_related("run").get(pk=proposal.pk)
    if locked.status != ProposalStatus.OPEN:
        raise ValidationError(_("This proposal has already been reviewed."))
    return locked


def _unique_theme_name(label: str) -> str:
    name, number = label[:100], 2
    while Theme.objects.filter(name__iexact=name).exists():
        suffix = f" ({number})"
        name, number = label[: 100 - len(suffix)] + suffix, number + 1
    return name


@transaction.atomic
def proposal_accept(*, proposal: ThemeProposal, actor, name: str = "") -> Theme:
    """Make the proposal a Theme: its key phrases become its keywords (editable in Django admin),
    its comments are tagged with it, and new answers are matched to it by meaning."""
    proposal = _lock_open(proposal)
    label = (name or proposal.label).strip()
    if not label:
        raise ValidationError({"label": _("Give the theme a name.")})
    phrases = list(zip(proposal.key_phrases, proposal.phrase_languages or [proposal.language] * 99, strict=False))
    theme = Theme.objects.create(
        name=_unique_theme_name(label),
        name_fr=label[:100] if proposal.language == "fr" else "",
        keywords_en="\n".join(phrase for phrase, language in phrases if language != "fr"),
        keywords_fr="\n".join(phrase for phrase, language in phrases if language == "fr"),
    )
    idf = proposal.run.idf
    ThemeMatcher.objects.create(
        theme=theme,
        centroid=proposal.centroid,
        idf={term: idf[term] for term in proposal.centroid if term in idf},
        default_idf=max(idf.values(), default=1.0),
        threshold=matching.DEFAULT_THRESHOLD,
        is_complaint=proposal.detractor_share >= 0.5,
    )
    ResponseTheme.objects.bulk_create(
        [
            ResponseTheme(response_id=response_id, theme=theme, source=ThemeSource.MEANING)
            for response_id in Response.objects.filter(id__in=proposal.response_ids).values_list("id", flat=True)
        ],
        ignore_conflicts=True,
        batch_size=LINK_BATCH_SIZE,
    )
    _decide(proposal, ProposalStatus.ACCEPTED, actor)
    proposal.theme = theme
    proposal.label = label[:100]
    proposal.save(update_fields=["status", "decided_by", "decided_at", "theme", "label"])
    return theme


@transaction.atomic
def proposal_merge(*, proposal: ThemeProposal, into: ThemeProposal, actor) -> ThemeProposal:
    """Fold `proposal` into `into` (both still to review): one theme with both groups' comments."""
    if proposal.pk == into.pk:
        raise ValidationError(_("Choose another proposal to merge with."))
    # Locked in id order, so two managers merging the same pair the other way round cannot deadlock.
    first, second = sorted([proposal, into], key=lambda p: p.pk)
    first, second = _lock_open(first), _lock_open(second)
    source, target = (first, second) if first.pk == proposal.pk else (second, first)
    total = source.size + target.size
    centroid: dict[str, float] = {}
    for part in (target, source):
        for term, weight in part.centroid.items():
            centroid[term] = centroid.get(term, 0.0) + weight * part.size / total
    top = sorted(centroid.items(), key=lambda item: -item[1])[: discovery.CENTROID_TERMS]
    target.centroid = dict(top)
    for phrase, language in zip(source.key_phrases, source.phrase_languages or [], strict=False):
        if phrase not in target.key_phrases:
            target.key_phrases.append(phrase)
            target.phrase_languages.append(language)
    target.response_ids = list(dict.fromkeys([*target.response_ids, *source.response_ids]))
    target.example_ids = list(dict.fromkeys([*target.example_ids, *source.example_ids]))[: discovery.EXAMPLES * 2]
    target.detractor_share = round(
        (target.detractor_share * target.size + source.detractor_share * source.size) / total, 4
    )
    target.size = total
    target.save(
        update_fields=[
            "centroid",
            "key_phrases",
            "phrase_languages",
            "response_ids",
            "example_ids",
            "detractor_share",
            "size",
        ]
    )
    _decide(source, ProposalStatus.MERGED, actor)
    source.save(update_fields=["status", "decided_by", "decided_at"])
    return target


@transaction.atomic
def proposal_rename(*, proposal: ThemeProposal, label: str, actor) -> ThemeProposal:
    proposal = _lock_open(proposal)
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": _("Give the theme a name.")})
    proposal.label = label[:100]
    proposal.save(update_fields=["label"])
    return proposal


@transaction.atomic
def proposal_dismiss(*, proposal: ThemeProposal, actor) -> ThemeProposal:
    """Not a theme worth following: later runs will not propose it again."""
    proposal = _lock_open(proposal)
    _decide(proposal, ProposalStatus.DISMISSED, actor)
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    return proposal


def response_match_themes(*, response: Response, vectors=None) -> int:
    """Tag `response` with the accepted themes its comment is about (by meaning). Returns the links made.

    Earlier links by meaning go first, so a corrected comment is matched afresh; links by hand
    or by keyword rule stay. Safe to run twice.
    """
    vectors = selectors.theme_vectors() if vectors is None else vectors
    if not vectors:
        return 0
    matched = [theme_id for theme_id, _score in matching.matching_themes(response.comment, vectors)]
    with transaction.atomic():
        ResponseTheme.objects.filter(response=response, source=ThemeSource.MEANING).exclude(
            theme_id__in=matched
        ).delete()
        created = ResponseTheme.objects.bulk_create(
            [ResponseTheme(response=response, theme_id=theme_id, source=ThemeSource.MEANING) for theme_id in matched],
            ignore_conflicts=True,
        )
    return len(created)


def responses_match_since(*, moment) -> int:
    """Match the answers given or corrected since `moment` (the nightly catch-up of lost messages)."""
    vectors = selectors.theme_vectors()
    if not vectors:
        return 0
    count = 0
    for response in selectors.responses_since(moment).only("id", "comment").iterator(chunk_size=LINK_BATCH_SIZE):
        count += response_match_themes(response=response, vectors=vectors)
    return count


def discovery_nightly(*, today: date | None = None) -> DiscoveryRun:
    """The beat's nightly run: discovery over the last NPSAPP_THEMES_DAYS days, then a catch-up of matching."""
    from datetime import timedelta

    today = today or timezone.localdate()
    previous = DiscoveryRun.objects.filter(requested_by=None).only("started_at").first()
    run = discovery_run_create(since=today - timedelta(days=settings.NPSAPP_THEMES_DAYS), until=today)
    discovery_run_execute(run=run)
    since = previous.started_at if previous else timezone.now() - timedelta(days=1)
    responses_match_since(moment=since)
    return run
