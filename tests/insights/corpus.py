"""A small fixed set of comments over three themes, for tests of discovery and matching."""

DELIVERY = [
    "My parcel arrived two weeks late",
    "The delivery was very late, parcel lost for days",
    "Parcel delivered late again",
    "Delivery took three weeks, the parcel was late",
    "Late delivery, the parcel never came on time",
    "Mon colis est arrivé en retard",
    "Livraison en retard, colis perdu",
    "Colis livré avec une semaine de retard",
    "La livraison du colis a pris trois semaines de retard",
    "Encore un colis en retard, livraison lamentable",
]
PRICE = [
    "Far too expensive for what it is",
    "Prices are too expensive compared to competitors",
    "Expensive subscription, prices went up again",
    "Way too expensive, cheaper prices elsewhere",
    "The prices are expensive and keep rising",
    "Beaucoup trop cher, les prix augmentent",
    "Prix trop cher par rapport à la concurrence",
    "Les prix sont trop chers cette année",
    "Trop cher, prix en hausse encore",
    "Abonnement cher, les prix ont encore augmenté",
]
SUPPORT = [
    "Customer service never answered my emails",
    "Nobody at customer service answers the phone",
    "Customer service was rude on the phone",
    "Waited an hour on the phone for customer service",
    "Customer service emails stay unanswered",
    "Le service client ne répond jamais au téléphone",
    "Service client injoignable par téléphone",
    "Le service client n'a pas répondu à mes mails",
    "Service client désagréable au téléphone",
    "Aucune réponse du service client à mes mails",
]
THEMES = {"delivery": DELIVERY, "price": PRICE, "support": SUPPORT}


def labelled() -> list[tuple[str, str]]:
    """(comment, theme), interleaved so that no theme is a block of ids."""
    rows = []
    for i in range(len(DELIVERY)):
        for name, comments in THEMES.items():
            rows.append((comments[i], name))
    return rows
