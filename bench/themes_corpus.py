"""A labelled set of short customer comments in French and English, written from templates.

Nine themes, each worded many ways in both languages, with detractor-like scores; a share of
the comments carries a negated clause about another theme ("the price was not a problem"),
typing mistakes, missing accents, greetings, or a mix of both languages. Deterministic for a
seed, so the quality figures of `bench/themes.py` can be compared between runs.
"""

import random
import unicodedata

THEMES = {
    "delivery": {
        "en": [
            "my {parcel} arrived {late_en}",
            "{delivery_en} took {days_en}, way too long",
            "the {parcel} was {late_en} and nobody warned me",
            "still waiting for my {parcel} after {days_en}",
            "the courier never came, {delivery_en} is a mess",
            "{delivery_en} was {late_en} again",
            "tracking said delivered but no {parcel} at home",
        ],
        "fr": [
            "mon {colis} est arrivé {retard_fr}",
            "la {livraison_fr} a pris {jours_fr}, beaucoup trop long",
            "{colis} livré {retard_fr} et personne ne m'a prévenu",
            "toujours pas reçu mon {colis} après {jours_fr}",
            "le livreur n'est jamais passé, {livraison_fr} catastrophique",
            "encore une {livraison_fr} {retard_fr}",
            "le suivi indique livré mais aucun {colis} chez moi",
        ],
        "slots": {
            "parcel": ["parcel", "package", "order", "delivery"],
            "late_en": ["late", "very late", "two days late", "a week late", "after the promised date"],
            "delivery_en": ["delivery", "shipping", "the delivery", "shipment"],
            "days_en": ["ten days", "two weeks", "a month", "three weeks"],
            "colis": ["colis", "paquet", "commande"],
            "retard_fr": ["en retard", "avec trois jours de retard", "très en retard", "une semaine trop tard"],
            "livraison_fr": ["livraison", "expédition"],
            "jours_fr": ["dix jours", "deux semaines", "un mois", "trois semaines"],
        },
    },
    "price": {
        "en": [
            "{too_en} {expensive_en} for what it is",
            "prices went up {again_en}, I will look elsewhere",
            "the {price_en} is {expensive_en} compared to competitors",
            "{expensive_en}, cheaper elsewhere",
            "you raised the {price_en} {again_en}",
            "not worth the money, {expensive_en}",
        ],
        "fr": [
            "{trop_fr} cher pour ce que c'est",
            "les {prix_fr} ont encore augmenté, je vais voir ailleurs",
            "{prix_fr} {trop_fr} élevés par rapport à la concurrence",
            "{trop_fr} cher, moins cher ailleurs",
            "vous avez encore augmenté vos {prix_fr}",
            "ça ne vaut pas le prix, {trop_fr} cher",
        ],
        "slots": {
            "too_en": ["too", "far too", "way too", "really"],
            "expensive_en": ["expensive", "pricey", "overpriced", "costly"],
            "again_en": ["again", "once more", "this year"],
            "price_en": ["price", "prices", "subscription price", "pricing"],
            "trop_fr": ["trop", "beaucoup trop", "vraiment trop", "bien trop"],
            "prix_fr": ["prix", "tarifs"],
        },
    },
    "support": {
        "en": [
            "{support_en} never answered my {emails_en}",
            "I called {support_en} {times_en} and nobody picked up",
            "the {agent_en} was rude and unhelpful",
            "{support_en} is impossible to reach",
            "waited {wait_en} on the phone for {support_en}",
            "no reply from {support_en} to my {emails_en}",
        ],
        "fr": [
            "le {sav_fr} n'a jamais répondu à mes {mails_fr}",
            "j'ai appelé le {sav_fr} {fois_fr} et personne ne décroche",
            "le {conseiller_fr} était désagréable et incompétent",
            "{sav_fr} injoignable",
            "attendu {attente_fr} au téléphone pour joindre le {sav_fr}",
            "aucune réponse du {sav_fr} à mes {mails_fr}",
        ],
        "slots": {
            "support_en": ["customer service", "support", "the hotline", "customer support"],
            "emails_en": ["emails", "messages", "complaints"],
            "times_en": ["five times", "three times", "every day"],
            "agent_en": ["agent", "advisor", "support person"],
            "wait_en": ["an hour", "45 minutes", "forever"],
            "sav_fr": ["service client", "SAV", "service clientèle"],
            "mails_fr": ["mails", "messages", "réclamations"],
            "fois_fr": ["cinq fois", "trois fois", "tous les jours"],
            "conseiller_fr": ["conseiller", "vendeur au téléphone", "agent"],
            "attente_fr": ["une heure", "45 minutes", "une éternité"],
        },
    },
    "quality": {
        "en": [
            "the {product_en} {broke_en} after {weeks_en}",
            "poor quality, the {product_en} is {broken_en}",
            "{product_en} stopped working after {weeks_en}",
            "cheap materials, it {broke_en} quickly",
            "the {product_en} arrived {broken_en} and faulty",
        ],
        "fr": [
            "le {produit_fr} {casse_fr} au bout de {semaines_fr}",
            "qualité médiocre, le {produit_fr} est {abime_fr}",
            "le {produit_fr} ne fonctionne plus après {semaines_fr}",
            "matériaux bas de gamme, {casse_fr} très vite",
            "{produit_fr} reçu {abime_fr} et défectueux",
        ],
        "slots": {
            "product_en": ["product", "item", "blender", "jacket", "device"],
            "broke_en": ["broke", "fell apart", "cracked"],
            "broken_en": ["broken", "damaged", "defective"],
            "weeks_en": ["two weeks", "a month", "three uses", "a few days"],
            "produit_fr": ["produit", "article", "mixeur", "blouson", "appareil"],
            "casse_fr": ["s'est cassé", "est tombé en panne", "s'est fissuré"],
            "abime_fr": ["cassé", "abîmé", "défectueux"],
            "semaines_fr": ["deux semaines", "un mois", "trois utilisations", "quelques jours"],
        },
    },
    "website": {
        "en": [
            "the {site_en} keeps crashing at {checkout_en}",
            "could not log in to my account on the {site_en}",
            "the {site_en} is slow and buggy",
            "{checkout_en} failed {times_en} on the {site_en}",
            "the {site_en} is confusing, I could not find anything",
        ],
        "fr": [
            "le {site_fr} plante au moment du {paiement_fr}",
            "impossible de me connecter à mon compte sur le {site_fr}",
            "{site_fr} lent et plein de bugs",
            "le {paiement_fr} a échoué {fois_fr} sur le {site_fr}",
            "le {site_fr} est mal fait, on ne trouve rien",
        ],
        "slots": {
            "site_en": ["website", "app", "mobile app", "site"],
            "checkout_en": ["checkout", "payment", "the payment page"],
            "times_en": ["twice", "three times", "every time"],
            "site_fr": ["site", "site web", "appli", "application"],
            "paiement_fr": ["paiement", "règlement"],
            "fois_fr": ["deux fois", "trois fois", "à chaque fois"],
        },
    },
    "refund": {
        "en": [
            "still no {refund_en} for my {return_en} after {weeks_en}",
            "the {return_en} process is a nightmare",
            "I sent the item back and never got my {refund_en}",
            "{refund_en} refused for no reason",
            "they kept my money, no {refund_en} yet",
        ],
        "fr": [
            "toujours pas de {rembourse_fr} pour mon {retour_fr} après {semaines_fr}",
            "la procédure de {retour_fr} est un cauchemar",
            "j'ai renvoyé l'article et jamais été {rembourse_adj}",
            "{rembourse_fr} refusé sans raison",
            "ils ont gardé mon argent, pas encore {rembourse_adj}",
        ],
        "slots": {
            "refund_en": ["refund", "money back", "reimbursement"],
            "return_en": ["return", "returned item", "return request"],
            "weeks_en": ["three weeks", "a month", "two months"],
            "rembourse_fr": ["remboursement"],
            "rembourse_adj": ["remboursé", "remboursée"],
            "retour_fr": ["retour", "renvoi"],
            "semaines_fr": ["trois semaines", "un mois", "deux mois"],
        },
    },
    "billing": {
        "en": [
            "I was {charged_en} twice on my {invoice_en}",
            "wrong amount on the {invoice_en}",
            "{charged_en} after I cancelled my subscription",
            "the {invoice_en} has an error, {charged_en} for nothing",
            "unexpected fees on my {invoice_en}",
        ],
        "fr": [
            "j'ai été {debite_fr} deux fois sur ma {facture_fr}",
            "montant erroné sur la {facture_fr}",
            "{debite_fr} alors que j'avais résilié mon abonnement",
            "erreur sur la {facture_fr}, {debite_fr} pour rien",
            "des frais inattendus sur ma {facture_fr}",
        ],
        "slots": {
            "charged_en": ["charged", "billed", "debited"],
            "invoice_en": ["invoice", "bill", "statement"],
            "debite_fr": ["débité", "prélevé", "facturé"],
            "facture_fr": ["facture", "facturation"],
        },
    },
    "stock": {
        "en": [
            "the {item_en} I wanted is always {out_en}",
            "{out_en} again, I had to buy it elsewhere",
            "my size was {out_en} in the store",
            "you never have the {item_en} {in_stock_en}",
            "half the catalogue is {out_en}",
        ],
        "fr": [
            "l'{article_fr} que je voulais est toujours en {rupture_fr}",
            "encore en {rupture_fr}, j'ai dû acheter ailleurs",
            "ma taille était en {rupture_fr} en magasin",
            "vous n'avez jamais l'{article_fr} en stock",
            "la moitié du catalogue est {indispo_fr}",
        ],
        "slots": {
            "item_en": ["item", "model", "product", "colour"],
            "out_en": ["out of stock", "unavailable", "sold out"],
            "in_stock_en": ["in stock", "available"],
            "article_fr": ["article", "modèle", "produit"],
            "rupture_fr": ["rupture", "rupture de stock"],
            "indispo_fr": ["indisponible", "en rupture de stock", "épuisée"],
        },
    },
    "loyalty": {
        "en": [
            "my {points_en} disappeared from the {loyalty_en}",
            "the {loyalty_en} is useless, {points_en} expire too fast",
            "I could not use my {points_en} at checkout",
            "the {loyalty_en} rewards are worthless",
            "no {discount_en} for loyal customers",
        ],
        "fr": [
            "mes {points_fr} ont disparu de la {fidelite_fr}",
            "la {fidelite_fr} ne sert à rien, les {points_fr} expirent trop vite",
            "impossible d'utiliser mes {points_fr} en caisse",
            "les avantages de la {fidelite_fr} sont nuls",
            "aucune {remise_fr} pour les clients fidèles",
        ],
        "slots": {
            "points_en": ["points", "loyalty points", "reward points"],
            "loyalty_en": ["loyalty program", "loyalty card", "rewards programme"],
            "discount_en": ["discount", "reward", "voucher"],
            "points_fr": ["points", "points fidélité"],
            "fidelite_fr": ["carte de fidélité", "programme de fidélité", "carte fidélité"],
            "remise_fr": ["remise", "réduction", "récompense"],
        },
    },
}

# A clause that denies a problem of another theme: it names that theme's topic without being
# about it, so a keyword rule would tag it wrongly.
NEGATED = {
    "delivery": {"en": "the delivery was not late", "fr": "la livraison n'était pas en retard"},
    "price": {"en": "the price is not the problem", "fr": "le prix n'est pas le problème"},
    "support": {"en": "customer service was not rude", "fr": "le service client n'était pas désagréable"},
    "quality": {"en": "the product is not broken", "fr": "le produit n'est pas cassé"},
    "website": {"en": "the website never crashed", "fr": "le site n'a jamais planté"},
    "refund": {"en": "no refund issue", "fr": "aucun souci de remboursement"},
    "billing": {"en": "the invoice was not wrong", "fr": "la facture n'était pas fausse"},
    "stock": {"en": "nothing was out of stock", "fr": "rien n'était en rupture"},
    "loyalty": {"en": "the loyalty card is not the issue", "fr": "la carte de fidélité n'est pas le souci"},
}
OPENERS = {
    "en": ["", "", "", "Honestly, ", "Hello, ", "Sadly ", "Well, "],
    "fr": ["", "", "", "Franchement, ", "Bonjour, ", "Dommage, ", "Bref, "],
}
CLOSERS = {
    "en": ["", "", "", ".", "!", ", very disappointed.", ", not happy.", ". Fix it please."],
    "fr": ["", "", "", ".", " !", ", très déçu.", ", pas content.", ". À corriger svp."],
}


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + word[i + 1 :]
    if kind < 0.8:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i] + word[i:]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _fill(template: str, slots: dict, rng: random.Random) -> str:
    out = template
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        name = out[start + 1 : end]
        out = out[:start] + rng.choice(slots[name]) + out[end + 1 :]
    return out


def comment(theme: str, rng: random.Random) -> tuple[str, str]:
    """One comment about `theme` and its main language ('en', 'fr')."""
    spec = THEMES[theme]
    language = "en" if rng.random() < 0.5 else "fr"
    text = _fill(rng.choice(spec[language]), spec["slots"], rng)
    roll = rng.random()
    if roll < 0.15:
        # A denied problem of another theme, before or after.
        other = rng.choice([name for name in THEMES if name != theme])
        clause = NEGATED[other][language]
        text = f"{clause}, but {text}" if language == "en" else f"{clause}, mais {text}"
    elif roll < 0.25:
        # Mixed language: a second sentence of the same theme in the other language.
        other_language = "fr" if language == "en" else "en"
        text = f"{text}. {_fill(rng.choice(spec[other_language]), spec['slots'], rng)}"
    text = rng.choice(OPENERS[language]) + text + rng.choice(CLOSERS[language])
    if rng.random() < 0.25:
        words = text.split(" ")
        for _ in range(rng.randint(1, 2)):
            j = rng.randrange(len(words))
            words[j] = _typo(words[j], rng)
        text = " ".join(words)
    if rng.random() < 0.15:
        text = _strip_accents(text)
    if rng.random() < 0.2:
        text = text.lower()
    else:
        text = text[:1].upper() + text[1:]
    return text, language


def labelled_comments(n: int, *, seed: int = 7) -> list[tuple[str, str, int]]:
    """`n` comments as (text, theme, score), themes in equal shares, shuffled."""
    rng = random.Random(seed)
    names = list(THEMES)
    rows = []
    for i in range(n):
        theme = names[i % len(names)]
        text, _language = comment(theme, rng)
        score = rng.choice([0, 1, 2, 3, 4, 5, 6, 6, 5, 7, 8])
        rows.append((text, theme, score))
    rng.shuffle(rows)
    return rows
