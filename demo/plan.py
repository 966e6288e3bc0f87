"""Demo data for a showcase install: pure Python, no database.

`build_plan()` turns a seed and the current time into plain records (customers, purchases,
answers with what the staff later did on their follow-up cases, re-survey answers, pending
invitations). Only actions and their moments: demo/services.py replays them through the app's
services, which write the cases, their audit rows and their figures. Everything is drawn from
one random.Random(seed), so the same seed gives the same data relative to "now".
"""

from __future__ import annotations

import heapq
import random
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate, cycle

from crm.choices import AgeBand, Gender, Plan
from followups import sla
from followups.choices import ContactChannel, Outcome
from surveys import scoring
from surveys.choices import Segment
from triggers.services import RECOVERY_DAYS
from triggers.window import next_send_time

BRAND_NAME = "Maison Dupont"
BRAND_COLOUR = "#1f5f8b"
POST_PURCHASE = "post_purchase"
RELATIONSHIP = "relationship"
SURVEYS = {  # key: (name, first-contact deadline in hours)
    POST_PURCHASE: ("Post-purchase survey", 48),
    RELATIONSHIP: ("Relationship survey", 72),
}
TEAM_NAME = "Customer care"
CALENDAR_NAME = "Paris office"
OPENING_HOURS = ((time(9), time(12, 30)), (time(13, 30), time(18)))  # Monday to Friday
HOLIDAYS = (
    (date(2026, 12, 25), "Noël"),
    (date(2027, 1, 1), "Jour de l'an"),
    (date(2027, 3, 29), "Lundi de Pâques"),
    (date(2027, 5, 1), "Fête du travail"),
    (date(2027, 5, 8), "Victoire 1945"),
)
RESURVEY_ANSWER_RATE = 0.55  # of the customers the recovery rule invites again
POST_PURCHASE_OPTIONS = {
    # Customer texts exist in each language, option lists line for line.
    "criteria_question_en": "What mattered most in this purchase?",
    "criteria_question_fr": "Qu'est-ce qui a le plus compté dans cet achat ?",
    "criteria_options_en": "Price\nDelivery time\nProduct quality\nAdvice in store\nAfter-sales service",
    "criteria_options_fr": "Prix\nDélai de livraison\nQualité du produit\nConseil en magasin\nService après-vente",
    "criteria_multiple": True,
    "csat_question_en": "How satisfied are you with your delivery?",
    "csat_question_fr": "Êtes-vous satisfait de votre livraison ?",
    "review_url": "https://example.com/reviews/maison-dupont",
    "public_form_enabled": True,
    "passive_outreach": False,
}
MANAGER = "manager"
AGENTS = ("agent1", "agent2")
STAFF = (  # username, first name, last name, role
    ("manager", "Hélène", "Marchand", "manager"),
    ("agent1", "Julien", "Carpentier", "agent"),
    ("agent2", "Amira", "Haddad", "agent"),
    ("admin", "Thomas", "Lemaire", "admin"),
)
STAFF_EMAIL_DOMAIN = "staff.example.com"
CUSTOMER_EMAIL_DOMAIN = "example.com"
EXTERNAL_ID_REGEX = r"^C[0-9]{4}$"

CUSTOMER_COUNT = 300
RESPONSE_COUNT = 2000
PENDING_COUNT = 150
MIN_DAYS_BETWEEN_INVITATIONS = 14  # contact fatigue over the year: at most one survey a fortnight
# Every fifth customer was last surveyed before the contact-fatigue window (the command passes
# NPSAPP_CONTACT_FATIGUE_DAYS), so a campaign made in the demo today has customers to invite.
FATIGUE_DAYS = 90
RESTED_EVERY = 5

# The cases the loader takes through the follow-up services at load time, so the inbox shows
# them live: (score, survey, hours since the answer, comment).
BREACH_IN = timedelta(minutes=30)  # the case about to breach: its deadline passes this long after loading
SHOWCASE_CASES = {
    "about_to_breach": (
        2,
        POST_PURCHASE,
        None,  # answered just under the survey's deadline ago
        "My wardrobe was delivered with a broken door and the driver left before I could check the parcel.",
    ),
    "waiting": (
        4,
        RELATIONSHIP,
        26,
        "I returned the lamp three weeks ago and I am still waiting for my refund.",
    ),
    "replied": (
        5,
        POST_PURCHASE,
        30,
        "Delivery slot missed twice. I took two days off work for nothing.",
    ),
}
WAITING_CONTACT_NOTE = "Called the customer: the refund needs their bank details, asked them to send them by email."
REPLY_SUBJECT = "Your missed deliveries"
REPLY_BODY = (
    "Hello {first_name},\n\nI am sorry about the two missed delivery slots. Which days suit you next week? "
    "We will deliver at the time you choose, free of charge.\n\nJulien, Maison Dupont customer care"
)
CUSTOMER_REPLY = "Thank you for getting back to me. Tuesday or Wednesday morning would be perfect."
CART_ABANDONED_CUSTOMERS = 3  # in the last week, no purchase since
NEWSLETTER_UNSUBSCRIBED_CUSTOMERS = 2  # in the last three weeks

FR_FEMALE = (
    "Camille Léa Manon Chloé Emma Inès Sarah Juliette Louise Alice Clara Marie Anne Sophie Isabelle "
    "Nathalie Céline Élodie Aurélie Margaux Pauline Mathilde Hélène Claire Agathe Lucie Océane Valérie "
    "Sandrine Brigitte"
).split()
FR_MALE = (
    "Lucas Hugo Louis Gabriel Arthur Jules Thomas Nicolas Julien Maxime Antoine Alexandre Pierre François "
    "Olivier Philippe Laurent Mathieu Guillaume Sébastien Benoît Théo Raphaël Étienne Yann Romain "
    "Christophe Michel Jérôme Bastien"
).split()
FR_LAST = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre Michel "
    "Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefebvre Mercier Dupuis Lambert Bonnet "
    "François Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel Perrin Morin "
    "Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Benali"
).split() + ["Le Gall", "Le Goff", "N'Diaye"]
EN_FEMALE = (
    "Emily Olivia Sophie Charlotte Amelia Grace Hannah Jessica Lucy Emma Rachel Laura Sarah Kate Helen "
    "Rebecca Megan Chloe Abigail Victoria"
).split()
EN_MALE = (
    "James Oliver Harry Jack George William Thomas Daniel Matthew Samuel Benjamin Edward Henry Michael "
    "David Andrew Christopher Joseph Ryan Luke"
).split()
EN_LAST = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White "
    "Roberts Green Hall Wood Jackson Clarke Hughes Edwards Turner Harris Cooper Murphy Kelly Campbell Stewart"
).split() + ["O'Brien"]

REGIONS = {  # roughly by population
    "Île-de-France": 24,
    "Auvergne-Rhône-Alpes": 14,
    "Nouvelle-Aquitaine": 10,
    "Occitanie": 10,
    "Hauts-de-France": 9,
    "Grand Est": 8,
    "Provence-Alpes-Côte d'Azur": 8,
    "Pays de la Loire": 6,
    "Bretagne": 5,
    "Normandie": 5,
    "Bourgogne-Franche-Comté": 4,
    "Centre-Val de Loire": 4,
    "Corse": 1,
}
AGE_BANDS = {AgeBand.UNDER_25: 8, AgeBand.FROM_25: 22, AgeBand.FROM_35: 32, AgeBand.FROM_50: 25, AgeBand.OVER_65: 13}
PLANS = {Plan.BASIC: 50, Plan.STANDARD: 35, Plan.PREMIUM: 15}
CATEGORIES = {  # category: (weight, lowest price, highest price) in EUR
    "Furniture": (22, 120, 400),
    "Lighting": (18, 30, 250),
    "Textiles": (22, 15, 120),
    "Kitchen": (20, 15, 180),
    "Garden": (10, 25, 350),
    "Decoration": (8, 15, 150),
}

COMMENTS = {
    (Segment.DETRACTOR, "en"): (
        "My sofa arrived three weeks late and nobody warned me.",
        "The lamp was broken in the box. Still waiting for a replacement.",
        "Support was rude on the phone and hung up on me.",
        "I returned the table a month ago and I still haven't been refunded.",
        "Delivery slot missed twice. I took two days off work for nothing.",
        "Wrong colour delivered, and the return process is a nightmare.",
        "Two screws missing from the wardrobe kit, impossible to assemble it.",
        "The chair wobbles after two weeks. Poor quality for the price.",
        "Nobody answers emails. I have written four times.",
        "The cushion covers faded after the first wash.",
        "Tracking said delivered but nothing arrived.",
        "The store staff were not interested in helping me at all.",
        "Refund promised in 5 days, it has been 5 weeks.",
        "The garden set rusted after one summer.",
        "The driver left the parcel in the rain. Box soaked, rug ruined.",
        "The website said in stock, then my order was cancelled a week later.",
        "Scratched dresser, and they want me to pay for the return.",
        "Too expensive for what you get.",
        "The assembly instructions are wrong at step 7.",
        "I was charged twice and it took ages to sort out.",
        "Chat support just copy-pastes the same answer.",
        "Half of my order came, the rest has no delivery date.",
        "The kettle stopped working after a month.",
        "Customer service promised a call back that never came.",
        "Two of the six glasses arrived chipped.",
        "The mattress still smells strongly of chemicals after a week.",
        "Delivery fees are outrageous and were only shown at checkout.",
        "The curtains are much thinner than the photos suggest.",
        "I waited 40 minutes in the store to pick up my order.",
        "Disappointed. I used to love this shop, not any more.",
    ),
    (Segment.DETRACTOR, "fr"): (
        "Mon canapé est arrivé avec trois semaines de retard, sans aucune explication.",
        "La lampe était cassée dans le carton. J'attends toujours un remplacement.",
        "Le service client a été désagréable au téléphone et m'a raccroché au nez.",
        "J'ai renvoyé la table il y a un mois et je ne suis toujours pas remboursée.",
        "Créneau de livraison manqué deux fois. J'ai posé deux jours de congé pour rien.",
        "Mauvaise couleur livrée, et le retour est un vrai parcours du combattant.",
        "Il manquait deux vis dans le kit de l'armoire, impossible de la monter.",
        "La chaise est bancale au bout de deux semaines. Qualité décevante pour le prix.",
        "Personne ne répond aux mails. J'ai écrit quatre fois.",
        "Les housses de coussin ont déteint dès le premier lavage.",
        "Le suivi indique « livré » mais je n'ai rien reçu.",
        "Vendeurs en magasin peu aimables et jamais disponibles.",
        "Remboursement promis sous 5 jours, cela fait 5 semaines.",
        "Le salon de jardin a rouillé après un seul été.",
        "Le livreur a laissé le colis sous la pluie, tapis abîmé.",
        "Article annoncé en stock, puis commande annulée une semaine plus tard.",
        "Commode rayée, et on me demande de payer le retour.",
        "Trop cher pour la qualité.",
        "La notice de montage est fausse à l'étape 7.",
        "Débitée deux fois, et il a fallu des semaines pour régulariser.",
        "Le chat répond toujours par le même message automatique.",
        "Seule la moitié de ma commande est arrivée, le reste n'a pas de date.",
        "La bouilloire ne fonctionne plus au bout d'un mois.",
        "On m'a promis un rappel qui n'est jamais venu.",
        "Deux verres sur six ébréchés à la livraison.",
        "Le matelas sent fortement le produit chimique, même après une semaine.",
        "Frais de livraison exorbitants, affichés seulement au moment de payer.",
        "Les rideaux sont beaucoup plus fins que sur les photos.",
        "40 minutes d'attente en magasin pour retirer ma commande.",
        "Déçue. J'adorais cette enseigne, ce n'est plus le cas.",
    ),
    (Segment.PASSIVE, "en"): (
        "Nice products, but delivery took longer than announced.",
        "Good quality overall, prices a bit high.",
        "The table is lovely, assembly was a bit tricky.",
        "Fine, nothing special.",
        "Would be a 10 with cheaper delivery.",
        "The website is a bit slow on my phone.",
        "Good choice of lighting, not much in garden furniture.",
        "Delivery was OK, the driver was in a hurry.",
        "The store is nice but parking is difficult.",
        "Quality is good, the packaging is excessive.",
        "Happy with the chairs, the colour is slightly different from the website.",
        "More stock in store would help.",
        "Customer service was polite but slow.",
        "Good value in the sales, full price is steep.",
        "I'd like evening delivery slots.",
        "Decent, but I found similar items cheaper elsewhere.",
        "The rug is nice, a bit thinner than expected.",
        "Order tracking could be clearer.",
        "Satisfied, though the box was damaged (the item was fine).",
        "The kitchen range is good, I'd like more colours.",
        "Pleasant staff, long queue at the till.",
        "Returns are easy but the refund takes a while.",
        "Good product, the instructions could be better.",
        "All good, I just expected delivery sooner.",
        "I like the style, durability remains to be seen.",
        "The loyalty programme is not very generous.",
        "Good overall, the app crashed once at checkout.",
        "Nice lamp, but the bulb was not included.",
        "Helpful advice in store, the delivery date changed once.",
        "Solid furniture, heavy to carry upstairs without help.",
    ),
    (Segment.PASSIVE, "fr"): (
        "Beaux produits, mais la livraison a pris plus de temps qu'annoncé.",
        "Bonne qualité dans l'ensemble, prix un peu élevés.",
        "La table est jolie, le montage un peu compliqué.",
        "Correct, sans plus.",
        "Ce serait un 10 avec une livraison moins chère.",
        "Le site est un peu lent sur mobile.",
        "Bon choix de luminaires, peu de choses pour le jardin.",
        "Livraison correcte, le livreur était pressé.",
        "Le magasin est agréable mais difficile de se garer.",
        "Bonne qualité, mais beaucoup trop d'emballage.",
        "Contente des chaises, la couleur est un peu différente du site.",
        "Plus de stock en magasin serait appréciable.",
        "Service client poli mais lent.",
        "Bon rapport qualité-prix en soldes, plein tarif un peu cher.",
        "J'aimerais des créneaux de livraison en soirée.",
        "Correct, mais j'ai trouvé des articles similaires moins chers ailleurs.",
        "Le tapis est beau, un peu plus fin que prévu.",
        "Le suivi de commande pourrait être plus clair.",
        "Satisfait, même si le carton était abîmé (l'article était intact).",
        "La gamme cuisine est bien, j'aimerais plus de coloris.",
        "Personnel agréable, longue attente en caisse.",
        "Retours faciles mais le remboursement prend du temps.",
        "Bon produit, la notice pourrait être meilleure.",
        "Tout va bien, j'attendais juste une livraison plus rapide.",
        "J'aime le style, reste à voir la durabilité.",
        "Le programme de fidélité n'est pas très généreux.",
        "Bien dans l'ensemble, l'application a planté une fois au paiement.",
        "Jolie lampe, mais l'ampoule n'était pas fournie.",
        "Bons conseils en magasin, la date de livraison a changé une fois.",
        "Meubles solides, lourds à monter à l'étage sans aide.",
    ),
    (Segment.PROMOTER, "en"): (
        "Beautiful sofa, delivered on time, very friendly team.",
        "Great quality and delivery was faster than expected.",
        "Excellent advice in store, I'll be back.",
        "Love the lighting collection!",
        "Support replaced a damaged vase within two days. Brilliant.",
        "Everything was perfect from order to delivery.",
        "Lovely products, great value.",
        "Assembly was easy and the table looks stunning.",
        "Always a pleasure to shop here.",
        "The delivery team were careful and polite.",
        "Quick refund, no questions asked.",
        "I have already recommended you to my sister.",
        "Great garden furniture, still like new after two summers.",
        "Very responsive customer service.",
        "The textiles are soft and well made.",
        "Click and collect was ready within an hour.",
        "Stylish and affordable.",
        "The new website is much easier to use.",
        "Kitchen utensils of excellent quality.",
        "The staff in store went out of their way to help me.",
        "My order arrived early and perfectly packed.",
        "Best furniture shop in town.",
        "Good follow-up after my complaint last time, thank you.",
        "Love the designs, always something new.",
        "Easy returns and kind staff.",
        "Ten out of ten, the armchair is gorgeous.",
        "Saturday delivery was very convenient.",
        "Durable products: my dresser is five years old and like new.",
        "A loyal customer for years, never disappointed.",
        "Thank you for the free assembly service!",
    ),
    (Segment.PROMOTER, "fr"): (
        "Très beau canapé, livré à l'heure, équipe très sympathique.",
        "Excellente qualité et livraison plus rapide que prévu.",
        "Très bons conseils en magasin, je reviendrai.",
        "J'adore la collection de luminaires !",
        "Le service client a remplacé un vase abîmé en deux jours. Bravo.",
        "Tout était parfait, de la commande à la livraison.",
        "De jolis produits, très bon rapport qualité-prix.",
        "Montage facile et la table est superbe.",
        "Toujours un plaisir de faire mes achats chez vous.",
        "Les livreurs étaient soigneux et polis.",
        "Remboursement rapide, sans discussion.",
        "Je vous ai déjà recommandés à ma sœur.",
        "Super salon de jardin, comme neuf après deux étés.",
        "Service client très réactif.",
        "Le linge de maison est doux et bien fini.",
        "Le retrait en magasin était prêt en une heure.",
        "Élégant et abordable.",
        "Le nouveau site est beaucoup plus simple à utiliser.",
        "Ustensiles de cuisine d'excellente qualité.",
        "Le personnel du magasin s'est plié en quatre pour m'aider.",
        "Commande arrivée en avance et parfaitement emballée.",
        "Le meilleur magasin de meubles de la ville.",
        "Bon suivi après ma réclamation de la dernière fois, merci.",
        "J'adore les modèles, toujours des nouveautés.",
        "Retours faciles et personnel aimable.",
        "Dix sur dix, le fauteuil est magnifique.",
        "La livraison le samedi est très pratique.",
        "Produits durables : ma commode a cinq ans et elle est comme neuve.",
        "Cliente fidèle depuis des années, jamais déçue.",
        "Merci pour le montage offert !",
    ),
}
COMMENT_RATE = {Segment.DETRACTOR: 0.75, Segment.PASSIVE: 0.5, Segment.PROMOTER: 0.55}

# Staff notes are internal, written in the team's working language.
CONTACT_NOTES = {
    ContactChannel.PHONE: (
        "Called the customer, apologised and listened. Agreed on next steps.",
        "Phone call: the customer explained the problem in detail, photos requested by email.",
        "Reached the customer on the second try. Offered a replacement.",
        "Called; voicemail. Left a message with my direct line, then reached them in the afternoon.",
        "Spoke with the customer for ten minutes; they appreciated the call.",
    ),
    ContactChannel.EMAIL: (
        "Sent a personal email apologising and asking for the order number.",
        "Emailed the customer with an apology and a proposal for a new delivery slot.",
        "Replied to the comment by email and offered to call back at a convenient time.",
        "Email sent with the return label and the refund timeline.",
        "Wrote to the customer to understand what went wrong with the delivery.",
    ),
}
# Emails written from the case page, in the customer's language ({first_name}, {agent}), and
# the customers' answers to them.
CASE_EMAILS = {
    "en": (
        (
            "About your recent order",
            "Hello {first_name},\n\nThank you for telling us, and I am sorry about what happened. Could you send "
            "me your order number? I will look into it today and come back to you.\n\n{agent}, Maison Dupont "
            "customer care",
        ),
        (
            "Your feedback",
            "Hello {first_name},\n\nI read your comment and I would like to put this right. We can replace the "
            "item or refund it, as you prefer: just tell me.\n\n{agent}, Maison Dupont customer care",
        ),
    ),
    "fr": (
        (
            "À propos de votre commande",
            "Bonjour {first_name},\n\nMerci de nous avoir écrit, et toutes nos excuses pour ce qui s'est passé. "
            "Pouvez-vous m'indiquer votre numéro de commande ? Je m'en occupe aujourd'hui et je reviens vers "
            "vous.\n\n{agent}, service client Maison Dupont",
        ),
        (
            "Votre avis",
            "Bonjour {first_name},\n\nJ'ai lu votre commentaire et je souhaite arranger les choses. Nous pouvons "
            "remplacer l'article ou vous rembourser, comme vous préférez : dites-le-moi simplement.\n\n{agent}, "
            "service client Maison Dupont",
        ),
    ),
}
CUSTOMER_EMAIL_REPLIES = {
    "en": (
        "Thank you for getting back to me. The order number is 4471-2210.",
        "A replacement would be perfect, thank you.",
        "Thanks. I would prefer a refund, please.",
        "I appreciate the quick answer. Any morning next week works for me.",
    ),
    "fr": (
        "Merci pour votre retour. Le numéro de commande est 4471-2210.",
        "Un remplacement me conviendrait très bien, merci.",
        "Merci. Je préférerais un remboursement, s'il vous plaît.",
        "Merci pour la réponse rapide. N'importe quelle matinée la semaine prochaine me va.",
    ),
}
EMAIL_FROM_CASE_RATE = 0.5  # of the contacts by email: written from the case page (the others: from a mailbox)
CUSTOMER_ANSWERS_RATE = 0.45  # of those emails, answered by the customer


INTERNAL_NOTES = (
    "Checked the order with logistics: the carrier lost the first parcel.",
    "Warehouse confirms the item left damaged packaging; claim opened with the carrier.",
    "Refund was stuck in the payment provider's queue; finance is pushing it through.",
    "Customer is a long-standing premium client, worth a goodwill gesture.",
    "Same complaint as last month about this carrier; flagged to the delivery manager.",
    "Store manager informed about the staff behaviour described.",
    "Spare screws sent by post, no return needed.",
    "Asked the product team whether the instructions can be corrected.",
)
RESOLUTION_NOTES = {
    Outcome.RECOVERED: (
        "Replacement delivered; the customer is happy and thanked us for the follow-up.",
        "Refund processed and a 15 % voucher offered. Customer satisfied.",
        "Redelivery on the customer's preferred day went well. Customer reassured.",
        "Technician visit fixed the issue. Customer says they will order again.",
        "Apologised for the welcome in store; voucher accepted, relationship restored.",
    ),
    Outcome.NOT_RECOVERABLE: (
        "Customer accepted the refund but says they will not order again.",
        "Customer asked us to close their account.",
        "Offered a voucher, declined. The customer remains unhappy with the delivery times.",
        "The item is discontinued, no replacement possible; refund issued.",
    ),
    Outcome.NO_REPLY: (
        "Two emails and one call, no answer. Closing.",
        "No reply after a week and a reminder. Closing the case.",
        "Voicemail twice, email unanswered. Closing; the customer can reply any time.",
    ),
}
UNCONTACTED_NOTES = {
    Outcome.NO_REPLY: (
        "No valid phone number and the email bounced; could not reach the customer.",
        "Backlog during the sales period: closed without contact, too late to be useful.",
    ),
    Outcome.NOT_RECOVERABLE: (
        "The customer had already settled this with the store directly; nothing more to do.",
        "The customer asked the store not to be contacted again.",
    ),
}


@dataclass
class CustomerSpec:
    external_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    language: str
    customer_since: date
    newsletter_subscribed: bool
    age_band: str
    gender: str
    region: str
    plan: str
    account_owner: str | None
    mood: float  # how the customer tends to score: > 0 happier, < 0 unhappier
    lapsed: bool  # stopped buying a while ago: a silent at-risk customer


@dataclass
class PurchaseSpec:
    customer: int  # index into DemoPlan.customers
    purchased_at: datetime
    amount: Decimal
    product_category: str
    channel: str


@dataclass
class CaseStep:
    """One thing the staff did on a detractor's case, at a moment, through the follow-up services.

    `action`: "reassign" (the manager gives the case to `actor`), "contact" (with `channel`),
    "email" (written from the case page: `body` is its subject, a newline, then its text),
    "customer_reply" (the customer answers that email with `body`), "read" (the reply),
    "note", "wait" (waiting on the customer) or "resolve" (with `outcome`). `actor` is a demo
    username, or ASSIGNEE for whoever holds the case then (the routing rules chose them).
    """

    at: datetime
    actor: str
    action: str
    channel: str = ""
    outcome: str = ""
    body: str = ""


@dataclass
class CasePlan:
    """What the staff will do on a detractor's case, in order; the services write the case."""

    steps: list[CaseStep] = field(default_factory=list)
    outcome: str = ""
    resolved_at: datetime | None = None


@dataclass
class InvitationSpec:
    customer: int
    survey: str
    invited_at: datetime


@dataclass
class ResponseSpec:
    invitation: InvitationSpec
    submitted_at: datetime
    score: int
    comment: str
    language: str
    case: CasePlan | None
    resurvey_of: ResponseSpec | None = None  # the answer whose case this re-survey answer follows


@dataclass
class CustomerEventSpec:
    customer: int
    kind: str  # crm.choices.EventKind
    occurred_at: datetime
    details: dict = field(default_factory=dict)


@dataclass
class Showcase:
    """Answers whose cases the loader takes through the follow-up services now, and behaviour events."""

    cases: dict[str, ResponseSpec]  # by SHOWCASE_CASES key
    events: list[CustomerEventSpec]


@dataclass
class DemoPlan:
    customers: list[CustomerSpec]
    purchases: list[PurchaseSpec]
    responses: list[ResponseSpec]
    pending: list[InvitationSpec]
    showcase: Showcase | None = None


def is_rested(index: int) -> bool:
    """Whether this customer was left alone during the contact-fatigue window (a campaign may invite them)."""
    return index % RESTED_EVERY == 0


def _pick(rng: random.Random, weighted: dict):
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def staff_email(first_name: str, last_name: str) -> str:
    return f"{_ascii(first_name)}.{_ascii(last_name)}@{STAFF_EMAIL_DOMAIN}"


def _local(rng: random.Random, day: date, tz, *, first_hour: int = 7, last_hour: int = 22) -> datetime:
    clock = time(rng.randint(first_hour, last_hour), rng.randint(0, 59), rng.randint(0, 59))
    return datetime.combine(day, clock, tzinfo=tz)


def _customers(rng: random.Random, today: date) -> list[CustomerSpec]:
    customers = []
    emails: set[str] = set()
    for number in range(1, CUSTOMER_COUNT + 1):
        language = "fr" if rng.random() < 0.7 else "en"
        gender = _pick(rng, {Gender.FEMALE: 48, Gender.MALE: 48, Gender.OTHER: 2, Gender.UNDISCLOSED: 2})
        female = gender == Gender.FEMALE or (gender not in (Gender.FEMALE, Gender.MALE) and rng.random() < 0.5)
        if language == "fr":
            first = rng.choice(FR_FEMALE if female else FR_MALE)
            last = rng.choice(FR_LAST)
        else:
            first = rng.choice(EN_FEMALE if female else EN_MALE)
            last = rng.choice(EN_LAST)
        local_part = f"{_ascii(first)}.{_ascii(last)}"
        email, suffix = f"{local_part}@{CUSTOMER_EMAIL_DOMAIN}", 2
        while email in emails:
            email, suffix = f"{local_part}{suffix}@{CUSTOMER_EMAIL_DOMAIN}", suffix + 1
        emails.add(email)
        phone = ""
        if rng.random() < 0.65:
            # Numbers reserved for fiction: 06 39 98 xx xx (ARCEP), 07700 900xxx (Ofcom).
            if language == "fr":
                phone = f"+33 6 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
            else:
                phone = f"+44 7700 900{rng.randint(0, 999):03d}"
        plan = _pick(rng, PLANS)
        since = today - timedelta(days=rng.randint(20, 6 * 365))
        lapsed = (today - since).days > 540 and rng.random() < 0.15
        mood = rng.gauss(0, 1) + (0.3 if plan == Plan.PREMIUM else 0.0) - (1.0 if lapsed else 0.0)
        customers.append(
            CustomerSpec(
                external_id=f"C{number:04d}",
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                language=language,
                customer_since=since,
                newsletter_subscribed=rng.random() < (0.25 if lapsed else 0.6),
                age_band=_pick(rng, AGE_BANDS),
                gender=gender,
                region=_pick(rng, REGIONS),
                plan=plan,
                account_owner=rng.choice(AGENTS) if rng.random() < 0.2 else None,
                mood=mood,
                lapsed=lapsed,
            )
        )
    return customers


def _purchases(rng: random.Random, customers: list[CustomerSpec], today: date, now: datetime, tz) -> list[PurchaseSpec]:
    purchases = []
    for index, customer in enumerate(customers):
        tenure_days = (today - customer.customer_since).days
        activity = rng.betavariate(1.3, 2.0) * (1.4 if customer.plan == Plan.PREMIUM else 1.0)
        count = min(25, round(25 * activity * min(1.0, 0.25 + tenure_days / 1100)))
        # A lapsed customer stopped buying between five months and a few years ago.
        last_day = today - timedelta(days=rng.randint(150, max(151, tenure_days - 60))) if customer.lapsed else today
        span = max(0, (last_day - customer.customer_since).days)
        for n in range(count):
            # Becoming a customer is the first purchase; later ones lean towards recent times.
            offset = 0 if n == 0 else round(span * (1 - rng.random() ** 1.4))
            day = customer.customer_since + timedelta(days=offset)
            channel = "web" if rng.random() < 0.65 else "store"
            moment = _local(rng, day, tz, first_hour=10, last_hour=19) if channel == "store" else _local(rng, day, tz)
            if moment >= now:
                moment = now - timedelta(hours=rng.randint(2, 30))
            category = rng.choices(list(CATEGORIES), weights=[w for w, _, _ in CATEGORIES.values()])[0]
            _, low, high = CATEGORIES[category]
            price = Decimal(rng.randint(low, high))
            if rng.random() < 0.7:
                price = max(price - Decimal("0.10"), Decimal("15.00"))  # shop prices end in .90
            purchases.append(PurchaseSpec(index, moment, price, category, channel))
    purchases.sort(key=lambda p: p.purchased_at)
    return purchases


def _monthly_drift(rng: random.Random, months: list[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """A wander around a slow improvement, centred so the year's NPS stays near its base."""
    levels, level = [], 0.0
    for i in range(len(months)):
        level = 0.6 * level + rng.gauss(0, 0.03)
        levels.append(level + 0.004 * i)
    mean = sum(levels) / len(levels)
    return {month: value - mean for month, value in zip(months, levels, strict=True)}


def _score(rng: random.Random, mood: float, drift: float) -> int:
    p_promoter = max(0.05, min(0.9, 0.45 + drift + 0.07 * mood))
    p_detractor = max(0.03, min(0.8, 0.21 - 0.8 * drift - 0.06 * mood))
    draw = rng.random()
    if draw < p_promoter:
        return rng.choices((9, 10), weights=(45, 55))[0]
    if draw < p_promoter + p_detractor:
        return rng.choices(range(7), weights=(5, 3, 5, 8, 12, 27, 40))[0]
    return rng.choices((7, 8), weights=(45, 55))[0]


# The few cases of the last five days are dealt these states in turn rather than drawn at
# random, so that with any seed the inbox shows new, assigned, contacted and overdue rows.
RECENT_FATES = {
    False: (
        "new",
        "assigned",
        "new",
        "contacted",
        "new",
        "assigned",
        "new",
        "contacted",
        "resolved",
    ),  # before the deadline
    True: ("overdue", "contacted", "overdue", "resolved", "overdue"),  # past the deadline
}


ASSIGNEE = ""  # a step's actor: whoever holds the case at that moment


def plan_case(
    rng: random.Random,
    *,
    submitted_at: datetime,
    hours: int,
    now: datetime,
    owner: str | None,
    tz,
    dealt: dict[bool, Iterator[str]] | None = None,
    language: str = "en",
) -> CasePlan:
    """What the staff do on a detractor's case by now: old cases mostly handled, recent ones a mix.

    Only the staff's actions and their moments: opening the case, its deadline, its audit rows
    and its figures are the follow-up services' business when the loader replays the steps.
    """
    due = sla.first_contact_due(submitted_at, hours=hours)
    latest = now - timedelta(minutes=15)
    plan = CasePlan()
    age = now - submitted_at
    if age > timedelta(days=5):
        if rng.random() < 0.85:
            fate = "resolved"
        elif age > timedelta(days=21):
            fate = "closed_uncontacted"
        else:
            fate = rng.choice(("waiting", "overdue", "overdue"))  # contacted and waiting, or forgotten
    elif latest - submitted_at < timedelta(minutes=45):
        fate = "new"
    else:
        past_due = now >= due
        fate = rng.choice(RECENT_FATES[past_due]) if dealt is None else next(dealt[past_due])

    # The routing rules give the case to the account owner or to the team's next agent; now and
    # then the manager hands it to someone else.
    assignee = owner if owner and rng.random() < 0.8 else rng.choice(AGENTS)

    def working(moment: datetime) -> datetime:
        """Staff act in office hours: a time outside 8:00–19:00 moves to the next morning."""
        local = moment.astimezone(tz)
        if 8 <= local.hour < 19:
            return moment
        day = local.date() + timedelta(days=0 if local.hour < 8 else 1)
        snapped = datetime.combine(day, time(8, local.minute, local.second), tzinfo=tz) + timedelta(minutes=30)
        return snapped if snapped <= latest else moment

    def step(at: datetime, action: str, actor: str = ASSIGNEE, **details) -> None:
        plan.steps.append(CaseStep(at, actor, action, **details))

    def reassign(at: datetime) -> None:
        if rng.random() < 0.3:
            step(at, "reassign", assignee)

    def resolve(at: datetime, outcome: str, body: str) -> None:
        step(at, "resolve", outcome=outcome, body=body)
        plan.outcome, plan.resolved_at = outcome, at

    opened = submitted_at + timedelta(minutes=1)
    if fate == "new":
        return plan
    if fate in ("overdue", "assigned"):
        if fate == "assigned" or rng.random() < 0.5:
            reassign(working(opened + (latest - opened) * rng.uniform(0.05, 0.6)))
        return plan
    if fate == "closed_uncontacted":
        closed_at = working(opened + timedelta(days=rng.uniform(3, 10)))
        if rng.random() < 0.5:
            reassign(working(opened + timedelta(hours=rng.uniform(1, 24))))
        outcome = _pick(rng, {Outcome.NO_REPLY: 60, Outcome.NOT_RECOVERABLE: 40})
        resolve(closed_at, outcome, rng.choice(UNCONTACTED_NOTES[outcome]))
        plan.steps.sort(key=lambda s: s.at)
        return plan

    # Contacted: within the deadline for about four cases in five.
    if rng.random() < 0.8:
        contacted_at = opened + (due - opened) * rng.betavariate(1.5, 3)
    else:
        contacted_at = due + timedelta(hours=rng.uniform(1, 60))
    if contacted_at > latest:
        contacted_at = opened + (latest - opened) * rng.uniform(0.3, 0.9)
    contacted_at = working(contacted_at)
    assigned_at = working(opened + (contacted_at - opened) * rng.uniform(0.05, 0.5))
    if assigned_at > contacted_at:  # handed over first thing in the morning, just before the contact
        assigned_at = max(opened, contacted_at - timedelta(minutes=rng.uniform(1, 20)))
    reassign(assigned_at)
    channel = ContactChannel.PHONE if rng.random() < 0.35 else ContactChannel.EMAIL
    emailed = channel == ContactChannel.EMAIL and rng.random() < EMAIL_FROM_CASE_RATE
    if emailed:  # from the case page: the conversation holds the email, the history its subject
        email = rng.choice(CASE_EMAILS[language])
        step(contacted_at, "email", body="\n".join(email))
    else:
        body = rng.choice(CONTACT_NOTES[channel]) if rng.random() < 0.6 else ""
        step(contacted_at, "contact", channel=channel, body=body)

    outcome = _pick(rng, {Outcome.RECOVERED: 45, Outcome.NOT_RECOVERABLE: 25, Outcome.NO_REPLY: 30})
    # Offsets after the contact: (waiting on the customer, internal note, resolution).
    if outcome == Outcome.NO_REPLY:
        steps = [timedelta(days=rng.uniform(1, 2)), None, timedelta(days=rng.uniform(4, 8))]
    elif outcome == Outcome.RECOVERED:
        wait = timedelta(hours=rng.uniform(2, 48)) if rng.random() < 0.5 else None
        steps = [wait, None, (wait or timedelta(0)) + timedelta(hours=rng.uniform(2, 96))]
    else:
        steps = [None, None, timedelta(hours=rng.uniform(1, 72))]
    if fate == "waiting" or (fate == "contacted" and rng.random() < 0.5):
        steps = [timedelta(hours=rng.uniform(1, 48)), None, None]
    elif fate == "contacted":
        steps = [None, None, None]
    if rng.random() < 0.25:
        end = max((s for s in steps if s is not None), default=timedelta(hours=rng.uniform(1, 24)))
        steps[1] = end * rng.uniform(0.1, 0.9)
    # Squeeze the follow-up into the time that has passed since the contact.
    longest = max((s for s in steps if s is not None), default=timedelta(0))
    room = latest - contacted_at
    if longest > room:
        steps = [None if s is None else s * (room / longest) for s in steps]
    wait, note, resolution = (None if s is None else working(contacted_at + s) for s in steps)
    if resolution is not None:  # office hours must not reorder the steps
        wait = None if wait is None else min(wait, resolution)
        note = None if note is None else min(note, resolution)
    # Nothing before the contact: the steps after it keep their order even when squeezed.
    if note is not None:
        step(max(note, contacted_at + timedelta(seconds=1)), "note", body=rng.choice(INTERNAL_NOTES))
    if wait is not None:
        step(max(wait, contacted_at + timedelta(seconds=2)), "wait")
    if resolution is not None:
        body = rng.choice(RESOLUTION_NOTES[outcome]) if rng.random() < 0.75 else ""
        resolve(max(resolution, contacted_at + timedelta(seconds=3)), outcome, body)
    if emailed and outcome != Outcome.NO_REPLY and rng.random() < CUSTOMER_ANSWERS_RATE:
        # The customer answers the email before the case is resolved; the assignee reads it later.
        end = resolution or latest
        replied_at = contacted_at + (end - contacted_at) * rng.uniform(0.1, 0.6)
        step(replied_at, "customer_reply", body=rng.choice(CUSTOMER_EMAIL_REPLIES[language]))
        step(working(replied_at + (end - replied_at) * rng.uniform(0.1, 0.5)), "read")
    plan.steps.sort(key=lambda s: s.at)
    return plan


def resurvey_sent_at(resolved_at: datetime, tz) -> datetime:
    """When the recovery rule's beat sends a resolved case's re-survey: its delay after the
    resolution, in the next sending window (the loader runs the beat then)."""
    return next_send_time(resolved_at.astimezone(UTC) + timedelta(days=RECOVERY_DAYS), tz)  # days of 24 h


def build_plan(*, seed: int, now: datetime, tz, fatigue_days: int = FATIGUE_DAYS) -> DemoPlan:
    rng = random.Random(seed)
    today = now.astimezone(tz).date()
    customers = _customers(rng, today)
    purchases = _purchases(rng, customers, today, now, tz)
    purchase_times = [p.purchased_at for p in purchases]

    # Answers over the last 12 calendar months (this one included), a little denser lately.
    first_month = today.year * 12 + today.month - 1 - 11
    start = date(first_month // 12, first_month % 12 + 1, 1)
    days = [start + timedelta(days=i) for i in range((today - start).days + 1)]
    cum_weights = list(accumulate(1 + 0.8 * i / len(days) + 0.6 * (len(days) - i <= 14) for i in range(len(days))))
    months = sorted({(d.year, d.month) for d in days})
    drift = _monthly_drift(rng, months)

    def moment_on(day: date) -> datetime:
        moment = _local(rng, day, tz)
        return moment if moment < now - timedelta(minutes=5) else now - timedelta(minutes=rng.randint(5, 240))

    answers = [moment_on(day) for day in rng.choices(days, cum_weights=cum_weights, k=RESPONSE_COUNT)]
    pending_times = [moment_on(today - timedelta(days=rng.randint(0, 13))) for _ in range(PENDING_COUNT)]
    timeline = sorted([(t, True) for t in answers] + [(t, False) for t in pending_times])

    by_since = sorted(range(len(customers)), key=lambda i: customers[i].customer_since)
    since_list = [customers[i].customer_since for i in by_since]
    last_invited: dict[int, datetime] = {}
    invited_at: dict[int, list[datetime]] = {i: [] for i in range(len(customers))}  # re-surveys included
    gap = timedelta(days=MIN_DAYS_BETWEEN_INVITATIONS)

    window_start = now - timedelta(days=fatigue_days)

    def may_invite(index: int, at: datetime) -> bool:
        return at < window_start or not is_rested(index)

    def rested(index: int, at: datetime) -> bool:
        # Recovery re-surveys count: the customer may have been invited again since their last answer.
        recent = any(s <= at < s + gap for s in invited_at[index])
        return not recent and may_invite(index, at)

    def choose_customer(at: datetime) -> tuple[int, str, datetime | None]:
        """A customer to survey at `at`: after a recent purchase if possible, else anyone rested."""
        if rng.random() < 0.75:
            low = bisect_left(purchase_times, at - timedelta(days=14))
            high = bisect_right(purchase_times, at - timedelta(days=2))
            for _ in range(min(12, high - low)):
                purchase = purchases[rng.randrange(low, high)]
                if rested(purchase.customer, at):
                    return purchase.customer, POST_PURCHASE, purchase.purchased_at
        eligible = max(1, bisect_right(since_list, at.date() - timedelta(days=7)))
        tried = [by_since[rng.randrange(eligible)] for _ in range(25)]
        for index in tried:
            if rested(index, at):
                return index, RELATIONSHIP, None
        allowed = [index for index in tried if may_invite(index, at)]
        if not allowed:
            allowed = [next(index for index in by_since if may_invite(index, at))]
        return min(allowed, key=lambda i: last_invited.get(i, at)), RELATIONSHIP, None

    dealt = {past_due: cycle(fates) for past_due, fates in RECENT_FATES.items()}
    responses, pending = [], []
    # Re-survey answers to come, a heap of (answered at, tie-break, invitation, the answer re-surveyed).
    resurveys: list[tuple[datetime, int, InvitationSpec, ResponseSpec]] = []

    def invite(index: int, at: datetime) -> None:
        last_invited[index] = max(at, last_invited.get(index, at))
        invited_at[index].append(at)

    def answer(at: datetime, invitation: InvitationSpec, resurvey_of: ResponseSpec | None = None) -> ResponseSpec:
        customer, survey = customers[invitation.customer], invitation.survey
        local = at.astimezone(tz)
        # A carrier problem over the last ten days: more detractors, so the inbox has work in it.
        incident = -0.09 if now - at < timedelta(days=10) else 0.0
        score = _score(rng, customer.mood, drift[(local.year, local.month)] + incident)
        segment = scoring.segment_for(score)
        comment = ""
        if rng.random() < COMMENT_RATE[segment]:
            comment = rng.choice(COMMENTS[(segment, customer.language)])
        case = None
        if segment == Segment.DETRACTOR:
            case = plan_case(
                rng,
                submitted_at=at,
                hours=SURVEYS[survey][1],
                now=now,
                owner=customer.account_owner,
                tz=tz,
                dealt=dealt,
                language=customer.language,
            )
            # A won-back customer answers the next survey more kindly; a lost one less so.
            customer.mood += {Outcome.RECOVERED: 1.2, Outcome.NOT_RECOVERABLE: -0.6}.get(case.outcome, 0.0)
        response = ResponseSpec(invitation, at, score, comment, customer.language, case, resurvey_of)
        if case is not None and case.resolved_at is not None:
            plan_resurvey(response)
        return response

    def plan_resurvey(response: ResponseSpec) -> None:
        """The recovery rule invites the customer again; about half of them answer."""
        sent_at = resurvey_sent_at(response.case.resolved_at, tz)
        if sent_at >= now:
            return
        index = response.invitation.customer
        invite(index, sent_at)
        if rng.random() >= RESURVEY_ANSWER_RATE:
            return
        answered_at = sent_at + timedelta(minutes=rng.uniform(3, 2880))
        if answered_at < now - timedelta(minutes=5):
            invitation = InvitationSpec(index, response.invitation.survey, sent_at)
            heapq.heappush(resurveys, (answered_at, len(responses) + len(resurveys), invitation, response))

    for at, answered in timeline:
        if answered and resurveys and resurveys[0][0] <= at:
            # This answer is a recovery re-survey's: the customer the trigger invited answers it.
            answered_at, _, invitation, resurveyed = heapq.heappop(resurveys)
            responses.append(answer(answered_at, invitation, resurvey_of=resurveyed))
            continue
        index, survey, purchased_at = choose_customer(at)
        if not answered:
            invite(index, at)
            pending.append(InvitationSpec(index, survey, at))
            continue
        low, high = rng.choices(((3, 360), (360, 1800), (1800, 4300)), weights=(50, 35, 15))[0]
        delay = timedelta(minutes=rng.uniform(low, high))  # most people answer the same day
        if purchased_at is not None:  # the survey goes out after the delivery, at least a day after the purchase
            delay = min(delay, (at - purchased_at - timedelta(days=1)) * rng.uniform(0.1, 0.9))
        invite(index, at - delay)
        responses.append(answer(at, InvitationSpec(index, survey, at - delay)))
    showcase = _showcase(rng, customers, purchases, now=now, last_invited=last_invited, fatigue_days=fatigue_days)
    return DemoPlan(customers=customers, purchases=purchases, responses=responses, pending=pending, showcase=showcase)


def _showcase(
    rng: random.Random,
    customers: list[CustomerSpec],
    purchases: list[PurchaseSpec],
    *,
    now: datetime,
    last_invited: dict[int, datetime],
    fatigue_days: int,
) -> Showcase:
    """Three live cases (about to breach, waiting on the customer, a customer reply) and the
    behaviour signals of the at-risk rules no answer gives (abandoned cart, newsletter unsubscribe)."""
    last_purchase: dict[int, datetime] = {}
    for purchase in purchases:  # oldest first
        last_purchase[purchase.customer] = purchase.purchased_at
    # Case customers: English-speaking, so their words and the agent's email read like the staff
    # notes; their invitations pass the consent gate, so none was invited within the fatigue window
    # before theirs (a few days' margin: the answers are from the last two days); those kept for
    # campaigns last.
    never = now - timedelta(days=3650)
    invitable_before = now - timedelta(days=fatigue_days + 3)
    english = [
        i
        for i in range(len(customers))
        if customers[i].language == "en" and last_invited.get(i, never) < invitable_before
    ]
    english.sort(key=lambda i: (is_rested(i), last_invited.get(i, never)))
    chosen = dict(zip(SHOWCASE_CASES, english, strict=False))
    cases = {}
    for key, (score, survey, hours_ago, comment) in SHOWCASE_CASES.items():
        if hours_ago is None:
            submitted_at = now - timedelta(hours=SURVEYS[survey][1]) + BREACH_IN
        else:
            submitted_at = now - timedelta(hours=hours_ago)
        index = chosen[key]
        invitation = InvitationSpec(index, survey, submitted_at - timedelta(hours=rng.uniform(1, 6)))
        cases[key] = ResponseSpec(invitation, submitted_at, score, comment, "en", None)

    events = []
    taken = set(chosen.values())
    # Silent signals, on customers a campaign may still invite (they were left alone lately).
    rested = [i for i in range(len(customers)) if is_rested(i) and i not in taken]
    carts = [i for i in rested if now - last_purchase.get(i, now) > timedelta(days=10)][:CART_ABANDONED_CUSTOMERS]
    for i in carts:
        at = now - timedelta(days=rng.uniform(1, 6))
        events.append(CustomerEventSpec(i, "cart_abandoned", at, {"items": rng.randint(1, 4)}))
    subscribed = [i for i in rested if customers[i].newsletter_subscribed and i not in carts]
    for i in subscribed[:NEWSLETTER_UNSUBSCRIBED_CUSTOMERS]:
        customers[i].newsletter_subscribed = False
        events.append(CustomerEventSpec(i, "newsletter_unsubscribed", now - timedelta(days=rng.uniform(2, 20))))
    return Showcase(cases=cases, events=events)


# Themes with keyword rules: (English name, French name, English keywords, French keywords).
THEMES = (
    ("Delivery", "Livraison", "delivery\nlate\ndriver\nparcel\ntracking", "livraison\nretard\nlivreur\ncolis"),
    (
        "Damaged item",
        "Article abîmé",
        "broken\nscratched\nchipped\nmissing\nruined",
        "cassé\nrayé\nabîmé\nébréché\nmanquant",
    ),
    (
        "Refund and returns",
        "Remboursement et retours",
        "refund\nreturn\ncharged twice",
        "rembours\nretour\ndébité deux fois",
    ),
    (
        "Customer service",
        "Service client",
        "support\ncustomer service\nrude\ncall back\nemails",
        "service client\nimpoli\nrappel\nsav",
    ),
    ("Price", "Prix", "expensive\nprice\nfees", "cher\nprix\nfrais"),
    (
        "Product quality",
        "Qualité du produit",
        "quality\nwobbles\nrusted\nfaded\nthinner",
        "qualité\nbancal\nrouillé\ndéteint",
    ),
)
