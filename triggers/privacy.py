"""What triggered surveys hold about a customer: which rules fired for them, when, and the outcome.

The privacy room (privacy.registry) finds this module through TriggersConfig.personal_data.
A fire row holds links (customer, purchase, case, event, survey link), dates and a status,
nothing that says who the person is: there is nothing to export or erase, and the rows stay
so that a rule fires once per subject.
"""

ORDER = 40
