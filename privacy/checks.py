"""System check: every app whose models point at a customer declares its privacy module."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.core.checks import Error

from privacy.apps import PrivacyConfig
from privacy.registry import declared


def customer_holders() -> dict[str, list[str]]:
    """App label → its models with a foreign key (or one-to-one) to crm.Customer."""
    customer = apps.get_model("crm", "Customer")
    holders: dict[str, list[str]] = {}
    for model in apps.get_models():
        if any(f.concrete and f.is_relation and f.related_model is customer for f in model._meta.get_fields()):
            holders.setdefault(model._meta.app_label, []).append(model._meta.label)
    return holders


def personal_data_check(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for app_label, models in sorted(customer_holders().items()):
        if app_label == PrivacyConfig.name:
            continue  # the room's own log: counts and dates, which the export reads itself
        config = apps.get_app_config(app_label)
        path = declared(config)
        if not path:
            errors.append(
                Error(
                    f"{', '.join(models)} point at crm.Customer, but the {app_label} app declares no privacy module.",
                    hint=(
                        f"Write {app_label}/privacy.py (export, erase, retention; see privacy.registry) and set "
                        f'personal_data = "{app_label}.privacy" on its AppConfig.'
                    ),
                    obj=config,
                    id="privacy.E001",
                )
            )
            continue
        module = import_module(path)
        if not isinstance(getattr(module, "ORDER", None), int):
            errors.append(Error(f"{path} has no ORDER (an int).", obj=config, id="privacy.E002"))
    return errors
