"""Which apps hold personal data about customers, and their functions to export, erase and age it out.

Each such app owns one module, named in its AppConfig (it never imports this room, which is
above it):

    class SurveysConfig(AppConfig):
        personal_data = "surveys.privacy"

The module defines `ORDER` (an int: its place in every run, lower first, so that an app reads
what the apps it builds on found) and any of these functions:

- `export(subject, document)`: adds the app's sections to the export document (a dict).
- `erase(subject) -> dict[str, int]`: erases what the app holds; returns counts for the audit row.
- `anonymise_responses(*, response_ids, now)`: retention, for one batch of old answers.
- `purge_older_than(*, cutoff) -> dict[str, int]`: retention, for the app's own logs.

An app whose rows point at a customer but hold nothing more still declares a module (with
ORDER and no function), saying so: the system check privacy.E001 (privacy.checks) refuses a
model with a foreign key to crm.Customer in an app that declares none, so that a new app
holding personal data cannot be forgotten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from types import ModuleType

from django.apps import apps

HOOKS = ("export", "erase", "anonymise_responses", "purge_older_than")


@dataclass
class Subject:
    """The customer an export or an erasure is about, and what the apps found on the way.

    Each app fills in what the apps after it need (they may not import it): surveys the
    customer's answers, followups their cases. `external_id` is the id as it was before the
    erasure replaced it.
    """

    customer: object
    now: dt.datetime
    external_id: str
    already_erased: bool = False
    response_ids: list[int] = field(default_factory=list)
    response_public_ids: list[str] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)
    case_public_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PersonalData:
    """One app's declared privacy module."""

    app_label: str
    module: ModuleType

    @property
    def order(self) -> int:
        return self.module.ORDER

    def hook(self, name: str) -> Callable | None:
        return getattr(self.module, name, None)


def declared(app_config) -> str | None:
    """The dotted path of the app's privacy module, or None when it declares none."""
    return getattr(app_config, "personal_data", None)


@cache
def registered() -> tuple[PersonalData, ...]:
    """Every declared module, in their ORDER (then by app label)."""
    found = [
        PersonalData(app_label=config.label, module=import_module(path))
        for config in apps.get_app_configs()
        if (path := declared(config))
    ]
    return tuple(sorted(found, key=lambda entry: (entry.order, entry.app_label)))


def hooks(name: str) -> list[Callable]:
    """The registered functions called `name`, in order."""
    if name not in HOOKS:
        raise ValueError(f"Unknown privacy hook: {name}")
    return [hook for entry in registered() if (hook := entry.hook(name)) is not None]
