"""How triggered surveys hear of the surveys app's events without it knowing they exist (surveys/signals.py).

Each new survey starts with its recovery re-survey rule (`survey_created`, in the survey's
transaction).
"""

from surveys import signals


def _survey_created(sender, survey, **kwargs) -> None:
    from triggers.services import recovery_rule_create

    recovery_rule_create(survey=survey)


def connect() -> None:
    signals.survey_created.connect(_survey_created, dispatch_uid="triggers-recovery-rule")
