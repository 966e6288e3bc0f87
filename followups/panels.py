"""The case page's panels: what the apps above followups show on a case, without followups knowing them.

The case page is a column of panels beside a narrower one. followups draws its own (the answer,
its themes, the case's history, the actions); an app above registers its panel in its
AppConfig.ready() — conversations the emails with the customer, customerview the customer's
history — and the page shows every registered panel in its column, lowest order first.
followups imports none of those apps: take an app out of INSTALLED_APPS and its panel goes.

A panel's `context(request=, ticket=)` returns what its template reads, added to the page's
context (a key the page or another panel already sets is refused: two panels never overwrite
each other). Its `after_action(request=, ticket=, action=, form=)`, if any, runs after an action
on the case page succeeded and its change is saved: e.g. emailing the customer about a new status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

MAIN = "main"
SIDE = "side"
COLUMNS = (MAIN, SIDE)


@dataclass(frozen=True)
class CasePanel:
    key: str
    # A template name, or any template {% include %} takes.
    template: Any
    column: str
    order: int
    context: Callable[..., dict] | None = None
    after_action: Callable[..., None] | None = None

    def __post_init__(self):
        if self.column not in COLUMNS:
            raise ImproperlyConfigured(f"Case panel {self.key!r}: its column is {self.column!r}, not one of {COLUMNS}.")


# followups' own panels: their context is the page's (followups.views.ticket_detail).
_registry: dict[str, CasePanel] = {
    panel.key: panel
    for panel in (
        CasePanel(key="answer", template="followups/_case_answer.html", column=MAIN, order=10),
        CasePanel(key="themes", template="followups/_case_themes.html", column=MAIN, order=20),
        CasePanel(key="history", template="followups/_case_timeline.html", column=MAIN, order=40),
        CasePanel(key="actions", template="followups/_case_actions.html", column=SIDE, order=20),
    )
}


def panel_register(*, panel: CasePanel) -> None:
    """Show `panel` on every case page. Registering a key again replaces that panel."""
    _registry[panel.key] = panel


def panel_unregister(*, key: str) -> CasePanel | None:
    """Take the panel `key` off the case page; returns it (None if there was none)."""
    return _registry.pop(key, None)


def panels() -> list[CasePanel]:
    """Every registered panel, in page order: by column, then order, then key."""
    return sorted(_registry.values(), key=lambda panel: (COLUMNS.index(panel.column), panel.order, panel.key))


def panels_context(*, request, ticket, page_context: dict) -> dict:
    """The panels' own context for one case page, and the panels of each column to show.

    Raises ImproperlyConfigured when a panel's key collides with the page's or another panel's.
    """
    shown = panels()
    added: dict = {}
    for panel in shown:
        if panel.context is None:
            continue
        for key, value in panel.context(request=request, ticket=ticket).items():
            if key in page_context or key in added:
                raise ImproperlyConfigured(f"Case panel {panel.key!r} sets {key!r}, which the page already has.")
            added[key] = value
    added["main_panels"] = [panel for panel in shown if panel.column == MAIN]
    added["side_panels"] = [panel for panel in shown if panel.column == SIDE]
    return added


def panels_after_action(*, request, ticket, action: str, form) -> None:
    """Let each panel react to a saved action on the case (in page order)."""
    for panel in panels():
        if panel.after_action is not None:
            panel.after_action(request=request, ticket=ticket, action=action, form=form)
