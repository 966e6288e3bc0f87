"""The default reply templates said "reply to this email" even when replies by email are not set
up (no Reply-To: the email comes from a no-reply address). They now say {how_to_reply}, which is
"reply to this email" only with NPSAPP_INBOUND_EMAIL_DOMAIN, else points to the reply link.
Only the exact default sentences are replaced: a template an admin rewrote keeps its words.
"""

from django.db import migrations

REPLACEMENTS = [
    ("You can simply reply to this email.", "{how_to_reply}"),
    (
        "If there is ever anything we can do better, just reply to this email.",
        "If there is ever anything we can do better, tell us. {how_to_reply}",
    ),
    ("We would love to know: just reply to this email.", "We would love to know. {how_to_reply}"),
    ("Il vous suffit de répondre à cet e-mail.", "{how_to_reply}"),
    (
        "Si un jour quelque chose peut être amélioré, n’hésitez pas à répondre à cet e-mail.",
        "Si un jour quelque chose peut être amélioré, dites-le-nous. {how_to_reply}",
    ),
    (
        "Nous serions ravis de le savoir : il vous suffit de répondre à cet e-mail.",
        "Nous serions ravis de le savoir. {how_to_reply}",
    ),
]


def use_how_to_reply(apps, schema_editor):
    ReplyTemplate = apps.get_model("conversations", "ReplyTemplate")
    for template in ReplyTemplate.objects.all():
        changed = False
        for field in ("body", "body_without_comment"):
            text = getattr(template, field)
            for old, new in REPLACEMENTS:
                if old in text:
                    text = text.replace(old, new)
                    changed = True
            setattr(template, field, text)
        if changed:
            template.save(update_fields=["body", "body_without_comment"])


class Migration(migrations.Migration):
    dependencies = [("conversations", "0005_protect_case_messages")]

    operations = [migrations.RunPython(use_how_to_reply, migrations.RunPython.noop)]
