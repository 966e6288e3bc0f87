"""Default reply templates: one per segment and language, each with a variant for an empty comment.

Admins edit them in Django admin. Placeholders: {first_name} {score} {comment} {brand}
{agent_name} {reference}.
"""

from django.db import migrations

DEFAULTS = [
    # (segment, language, name, subject, body, body_without_comment)
    (
        "detractor",
        "en",
        "Detractor: apology and call back",
        "About your feedback on {brand}",
        "Hello {first_name},\n\n"
        "Thank you for taking the time to answer our survey. You gave us {score} out of 10 and wrote:\n\n"
        "“{comment}”\n\n"
        "I am sorry we let you down. I would like to understand exactly what happened and put it right. "
        "Could you tell me a little more, or let me know a good time to call you?\n\n"
        "You can simply reply to this email.\n\n"
        "Kind regards,\n{agent_name}\n{brand}",
        "Hello {first_name},\n\n"
        "Thank you for taking the time to answer our survey. You gave us {score} out of 10, "
        "and I am sorry we did not do better.\n\n"
        "Could you tell me what went wrong? Even a few words would help us understand and put it right. "
        "If you prefer, let me know a good time to call you.\n\n"
        "You can simply reply to this email.\n\n"
        "Kind regards,\n{agent_name}\n{brand}",
    ),
    (
        "detractor",
        "fr",
        "Détracteur : excuses et rappel",
        "Suite à votre avis sur {brand}",
        "Bonjour {first_name},\n\n"
        "Merci d’avoir pris le temps de répondre à notre questionnaire. Vous nous avez donné la note "
        "de {score} sur 10 et vous nous avez écrit :\n\n"
        "« {comment} »\n\n"
        "Nous regrettons sincèrement que votre expérience n’ait pas été à la hauteur. J’aimerais comprendre "
        "ce qui s’est passé et y remédier. Pourriez-vous m’en dire un peu plus, ou m’indiquer un moment "
        "où je pourrais vous appeler ?\n\n"
        "Il vous suffit de répondre à cet e-mail.\n\n"
        "Bien cordialement,\n{agent_name}\n{brand}",
        "Bonjour {first_name},\n\n"
        "Merci d’avoir pris le temps de répondre à notre questionnaire. Vous nous avez donné la note "
        "de {score} sur 10 et nous regrettons de ne pas avoir fait mieux.\n\n"
        "Pourriez-vous nous dire ce qui n’a pas fonctionné ? Quelques mots suffiront pour nous aider "
        "à comprendre et à corriger les choses. Si vous préférez, indiquez-moi un moment où je pourrais "
        "vous appeler.\n\n"
        "Il vous suffit de répondre à cet e-mail.\n\n"
        "Bien cordialement,\n{agent_name}\n{brand}",
    ),
    (
        "passive",
        "en",
        "Passive: what would earn one more point",
        "Thank you for your feedback on {brand}",
        "Hello {first_name},\n\n"
        "Thank you for answering our survey. You gave us {score} out of 10 and wrote:\n\n"
        "“{comment}”\n\n"
        "That is really helpful. What is the one thing we could do better to deserve a higher score "
        "next time?\n\n"
        "You can simply reply to this email.\n\n"
        "Kind regards,\n{agent_name}\n{brand}",
        "Hello {first_name},\n\n"
        "Thank you for answering our survey. You gave us {score} out of 10.\n\n"
        "What would it take for us to earn one more point? Even a few words would help us improve.\n\n"
        "You can simply reply to this email.\n\n"
        "Kind regards,\n{agent_name}\n{brand}",
    ),
    (
        "passive",
        "fr",
        "Passif : ce qui mériterait un point de plus",
        "Merci pour votre avis sur {brand}",
        "Bonjour {first_name},\n\n"
        "Merci d’avoir répondu à notre questionnaire. Vous nous avez donné la note de {score} sur 10 "
        "et vous nous avez écrit :\n\n"
        "« {comment} »\n\n"
        "Votre retour nous est précieux. Quelle est la chose que nous pourrions améliorer pour mériter "
        "une meilleure note la prochaine fois ?\n\n"
        "Il vous suffit de répondre à cet e-mail.\n\n"
        "Bien cordialement,\n{agent_name}\n{brand}",
        "Bonjour {first_name},\n\n"
        "Merci d’avoir répondu à notre questionnaire. Vous nous avez donné la note de {score} sur 10.\n\n"
        "Que pourrions-nous faire pour mériter un point de plus ? Quelques mots suffiront pour nous aider "
        "à progresser.\n\n"
        "Il vous suffit de répondre à cet e-mail.\n\n"
        "Bien cordialement,\n{agent_name}\n{brand}",
    ),
    (
        "promoter",
        "en",
        "Promoter: thank you",
        "Thank you from {brand}",
        "Hello {first_name},\n\n"
        "Thank you so much for your {score} out of 10 and for your kind words:\n\n"
        "“{comment}”\n\n"
        "They mean a lot to the whole team. If there is ever anything we can do better, just reply "
        "to this email.\n\n"
        "Kind regards,\n{agent_name}\n{brand}",
        "Hello {first_name},\n\n"
        "Thank you so much for your {score} out of 10! It means a lot to the whole team.\n\n"
        "What did you like most? We would love to know: just reply to this email.\n\n"
        "Kind regards,\n{agent_name}\n{brand}",
    ),
    (
        "promoter",
        "fr",
        "Promoteur : remerciements",
        "Un grand merci de la part de {brand}",
        "Bonjour {first_name},\n\n"
        "Un grand merci pour votre note de {score} sur 10 et pour vos mots si encourageants :\n\n"
        "« {comment} »\n\n"
        "Ils font très plaisir à toute l’équipe. Si un jour quelque chose peut être amélioré, "
        "n’hésitez pas à répondre à cet e-mail.\n\n"
        "Bien cordialement,\n{agent_name}\n{brand}",
        "Bonjour {first_name},\n\n"
        "Un grand merci pour votre note de {score} sur 10 ! Elle fait très plaisir à toute l’équipe.\n\n"
        "Qu’avez-vous le plus apprécié ? Nous serions ravis de le savoir : il vous suffit de répondre "
        "à cet e-mail.\n\n"
        "Bien cordialement,\n{agent_name}\n{brand}",
    ),
]


def add_defaults(apps, schema_editor):
    ReplyTemplate = apps.get_model("conversations", "ReplyTemplate")
    for segment, language, name, subject, body, body_without_comment in DEFAULTS:
        ReplyTemplate.objects.get_or_create(
            name=name,
            language=language,
            defaults={
                "segment": segment,
                "subject": subject,
                "body": body,
                "body_without_comment": body_without_comment,
                "is_default": True,
            },
        )


def remove_defaults(apps, schema_editor):
    ReplyTemplate = apps.get_model("conversations", "ReplyTemplate")
    for _segment, language, name, *_rest in DEFAULTS:
        ReplyTemplate.objects.filter(name=name, language=language).delete()


class Migration(migrations.Migration):
    dependencies = [("conversations", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
